# paydesk UI text, English. Every key here must exist in id.ftl and zh-CN.ftl too
# (a unit test checks). Keep messages short; pages are read on phones.

brand = paydesk
skip-to-content = Skip to content

## Navigation
nav-home = Home
nav-customers = Customers
nav-team = Staff
nav-merchant = Merchant
nav-api = API
nav-signout = Sign out
nav-signin = Sign in
nav-staff-signin = Staff sign-in
locale-label = Language
locale-apply = Change

## Landing page
landing-title = Help with your wallet, any time
landing-intro = Sign in to see your account, or sign in as staff to help customers.
landing-customer-cta = Customer sign-in
landing-customer-body = See your profile and account settings.
landing-staff-cta = Staff sign-in
landing-staff-body = Agents, supervisors, admins and merchant staff.
landing-api-cta = API reference
landing-api-body = For the wallet app and integrations.

## Sign-in
signin-title = Sign in to your wallet
signin-intro = Use the email address or phone number you registered with.
signin-login-label = Email or phone number
signin-password-label = Password
signin-submit = Sign in
signin-error-invalid = The email, phone number or password is incorrect.
signin-error-disabled = This account cannot sign in. Please contact support.
signin-error-unexpected = We could not sign you in just now. Please try again.
signin-error-csrf = Your form expired. Please try again.
signin-staff-link = Work here? Staff sign-in
staff-signin-title = Staff sign-in
staff-signin-intro = For agents, supervisors, admins and merchant staff.
staff-signin-login-label = Work email
staff-signin-customer-link = Customer? Sign in here

## Customer home
home-greeting = Hello, { $name }
home-profile-title = Your profile
home-profile-body = This is what support sees when you contact us. Keep it up to date.
home-language-title = Language
home-language-body = Pages and messages from support use this language.
profile-name = Name
profile-email = Email
profile-phone = Phone
profile-region = Region
profile-timezone = Time zone
profile-language = Language
profile-member-since = Member since
profile-status = Status
profile-none = Not set
status-active = Active
status-suspended = Suspended
status-closed = Closed

## Roles
role-customer = Customer
role-agent = Agent
role-supervisor = Supervisor
role-admin = Admin
role-merchant = Merchant staff

## Staff home
staff-home-title = Support console
staff-greeting = Signed in as { $name }
staff-role = Role
staff-group = Group
staff-section-customers = Customers
staff-section-customers-body = Find a customer by name, email or phone and open their profile.
staff-section-team = Staff
staff-section-team-body = Everyone who works in paydesk, with their role and group.
staff-section-merchant = Your merchant
staff-section-merchant-body = Your merchant's details and the colleagues who can act for it.
staff-section-groups = Support groups
staff-section-groups-body = Groups own queues; agents belong to one group.
staff-open = Open

## Customer directory
customers-title = Customers
customers-search-label = Name, email or phone
customers-region-label = Region
customers-region-all = All regions
customers-search-submit = Search
customers-empty = No customers match.
customers-next = Next page
customers-first = First page
customer-title = Customer profile
customer-back = Back to customers
col-name = Name
col-email = Email
col-phone = Phone
col-region = Region
col-status = Status
col-role = Role
col-group = Group
col-merchant = Merchant

## Staff list and merchant
team-title = Staff
merchant-title = Your merchant
merchant-category = Category
merchant-region = Region
merchant-colleagues = Colleagues

## API reference page
api-title = API reference
api-intro = JSON API for the wallet app and integrations. Authenticate with a bearer token from POST /api/v1/auth/tokens. Errors are RFC 9457 problem details.
api-download = OpenAPI document (JSON)
api-access = Who may call
api-parameters = Parameters
api-request-body = Request body
api-responses = Responses

## Errors
error-title = Something went wrong
error-not-found = We could not find this page.
error-forbidden = Your account may not open this page.
error-method = This page cannot be used that way.
error-too-large = What you sent is too large.
error-timeout = This took too long. Please try again.
error-bad-request = We could not read what was sent.
error-internal = Something went wrong on our side. Please try again later.
error-request-id = Reference for support: { $id }
error-back-home = Go to the start page

## Wallet: kinds, statuses, failures and next steps
kind-top-up = Top-up
kind-payment = Payment
kind-transfer-out = Transfer sent
kind-transfer-in = Transfer received
kind-refund = Refund
kind-withdrawal = Withdrawal
status-pending = Pending
status-succeeded = Succeeded
status-failed = Failed
status-reversed = Reversed
failure-insufficient-balance = Your balance was not enough for this transaction.
failure-payment-method-declined = Your bank or card declined the payment.
failure-bank-unavailable = The bank did not answer in time, so nothing was charged.
failure-network-timeout = The connection dropped before the transaction finished, so nothing was charged.
failure-blocked-by-risk = Our security checks stopped this transaction to protect your account.
failure-limit-exceeded = This transaction is above your wallet's limit.
failure-merchant-unavailable = The merchant could not take the payment, so nothing was charged.
failure-expired = The payment was not confirmed in time, so the held amount was released.
next-step-top-up = Top up your wallet, then try again.
next-step-retry-later = Please try again in a few minutes.
next-step-use-another-method = Try another card or bank account, or ask your bank.
next-step-contact-support = Contact support and quote the reference { $reference }.
unusual-amount-outlier = Marked as unusual: the amount is far above what you usually spend.
unusual-first-payment-high = Marked as unusual: a first payment to this merchant, at a high amount.
unusual-rapid-repeat = Marked as unusual: the same amount was sent several times within minutes.

## Refunds
refund-rule-auto-approve = Approved automatically: the amount is below the merchant's limit for automatic refunds.
refund-rule-merchant-approval = Sent to the merchant: refunds of this size need the merchant's approval.
refund-rule-outside-window = Not possible: the merchant accepts refund requests for { $days } days after the payment.
refund-rule-reason-not-accepted = Not possible: the merchant does not accept refunds for this reason.
refund-rule-partial-not-allowed = Not possible: this merchant only refunds the full remaining amount.
refund-rule-too-many = Not possible: this payment already has the most refunds the merchant allows.
refund-rule-exceeds-refundable = Not possible: that is more than what remains refundable on this payment.
refund-rule-payment-not-refundable = Not possible: only completed payments can be refunded.
refund-rule-amount-not-positive = Enter an amount above zero.
refund-rule-rejected-by-merchant = The merchant rejected the request.
refund-rule-policy-overridden = Approved by a supervisor as an exception to the merchant's policy.
refund-status-requested = Waiting for the merchant
refund-status-approved = Approved
refund-status-rejected = Rejected
refund-status-succeeded = Refunded
refund-status-failed = Refund failed
reason-not-received = Not received
reason-not-as-described = Not as described
reason-charged-twice = Charged twice
reason-damaged = Damaged or defective
reason-cancelled = Order cancelled
reason-changed-mind = Changed my mind

## Wallet pages
nav-wallet = Transactions
wallet-title = Your transactions
wallet-balance = Balance
wallet-available = Available
wallet-filter-from = From
wallet-filter-to = To
wallet-filter-min = Min amount
wallet-filter-max = Max amount
wallet-filter-kind = Type
wallet-filter-status = Status
wallet-filter-text = Search
wallet-filter-any = Any
wallet-filter-apply = Filter
wallet-filter-reset = Clear filters
wallet-export = Download CSV
wallet-empty = No transactions match these filters.
wallet-older = Older transactions
wallet-newest = Newest
col-date = Date
col-description = Description
col-amount = Amount
col-type = Type
col-reference = Reference
tx-title = Transaction details
tx-back = Back to transactions
tx-why-failed = Why it failed
tx-what-next = What to do next
tx-unusual = Unusual activity
tx-notes = Your private notes
tx-notes-help = Only you can see these notes.
tx-note-add = Add note
tx-note-save = Save
tx-note-delete = Delete
tx-flag-title = Report this transaction
tx-flag-help = Tell us if you do not recognise this transaction or something is wrong with it. Support will look into it.
tx-flag-reason = What is wrong?
tx-flag-not-recognised = I don't recognise it
tx-flag-improper = Something is wrong with it
tx-flag-comment = Details
tx-flag-submit = Report
tx-flagged = You reported this transaction. Status: { $status }
flag-status-open = Open
flag-status-in-review = In review
flag-status-resolved = Resolved
tx-refund-title = Request a refund
tx-refund-amount = Amount
tx-refund-reason = Reason
tx-refund-submit = Request refund
tx-refunds = Refunds
tx-merchant = Merchant
tx-counterparty = Other customer
tx-error-note = A note needs 1 to 2,000 characters.
tx-error-amount = Enter an amount like 15000.
tx-done = Saved.

## Wallet pages: history, detail, staff and merchant views
wallet-held = On hold
wallet-unusual = Unusual
wallet-error-date = Enter dates like 2026-11-25.
wallet-error-amount = Enter amounts in whole rupiah, like 15000.
wallet-error-range = The maximum amount is below the minimum.
wallet-error-cursor = This page link no longer works. Start again from the newest transactions.
wallet-error-filter = This filter cannot be used. Clear the filters and try again.
failure-short-insufficient-balance = Not enough balance
failure-short-payment-method-declined = Declined by the bank or card
failure-short-bank-unavailable = Bank not available
failure-short-network-timeout = Connection dropped
failure-short-blocked-by-risk = Stopped by security checks
failure-short-limit-exceeded = Over the limit
failure-short-merchant-unavailable = Merchant not available
failure-short-expired = Not confirmed in time
home-wallet-title = Your wallet
home-wallet-link = See your transactions
tx-note-edit = Edit
tx-note-added = Note added.
tx-note-deleted = Note deleted.
tx-flag-done = Thank you. We received your report; support will look into it.
tx-error-flag-reason = Choose what is wrong with this transaction.
tx-error-comment = Details can have at most 2,000 characters.
tx-error-already-flagged = You have already reported this transaction.
tx-refund-help = The merchant's refund policy answers at once, and you see its answer here.
tx-refund-answer = Your refund request: { $status }
tx-error-refund-reason = Choose a reason for the refund.
tx-decision-note = Merchant's note
tx-flags = Reports from the customer
tx-flags-none = The customer has not reported this transaction.
flag-reason-not-recognised = Not recognised
flag-reason-improper = Something wrong with it
tx-customer = Customer
tx-back-customer = Back to the customer
customer-history = Recent transactions
customer-history-empty = No transactions yet.
staff-section-refunds = Refund requests
staff-section-refunds-body = Approve or reject customers' refund requests that need your decision.
merchant-refunds-title = Refund requests
merchant-refunds-intro = Requests waiting for your decision come first. Approved refunds are paid back to the customer at once.
merchant-refunds-empty = No refund requests yet.
merchant-refund-payment = Payment
merchant-refund-rule = Policy
merchant-refund-note = Note for the customer (required to reject)
merchant-refund-approve = Approve
merchant-refund-reject = Reject
merchant-refund-approved = Refund approved.
merchant-refund-rejected = Refund rejected.
merchant-refund-note-required = Tell the customer why when you reject a refund.
merchant-refund-note-too-long = A note can have at most 1,000 characters.
merchant-refund-decided = This refund has already been decided.
wallet-filter-more = More filters

## Support decisions on refunds
tx-support-note = Note for the customer
tx-approve = Approve refund
tx-reject = Reject
tx-override-help = The merchant's policy rejected this request. Approving it is an exception: give the reason.
tx-refund-decided = The refund decision is saved.
tx-error-decision-note = Give a reason: rejecting a refund or making an exception needs one.

# Help center
nav-help = Help
help-title = Help center
help-search-label = Search the help center
help-search-placeholder = e.g. forgot password, refund, kartu ditolak
help-search-button = Search
help-popular = Popular articles
help-empty = There are no help articles yet.
help-results-title = Search results
help-no-results = No articles match. Try other words, or browse the categories.
help-back = All help topics
help-internal = Internal: staff only
help-updated = Last updated { $date }
help-was-helpful = Was this article helpful?
help-comment = Anything to add? (optional)
help-yes = Yes, it helped
help-no = No
help-vote-thanks = Thank you for your feedback.
help-related = Related articles
help-cat-account-and-sign-in = Account and sign-in
help-cat-payments-and-failed-transactions = Payments and failed transactions
help-cat-coupons-and-promotions = Coupons and promotions
help-cat-bank-cards-and-accounts = Bank cards and accounts
help-cat-refunds = Refunds
help-cat-merchant-complaints = Complaints about merchants
help-cat-privacy-and-security = Privacy and security
help-cat-contact-and-support-hours = Contacting us and support hours

## Help-center editing (admins)
nav-help-admin = Help articles
help-admin-title = Help articles
help-admin-new = New translation
help-admin-new-slug = Slug (e.g. reset-password)
help-admin-bad-slug = Use lowercase letters, digits and hyphens for the slug, and pick a language.
help-admin-edit = Edit article
help-admin-save = Save and publish changes
help-admin-saved = Saved. Search uses the new text now.
help-admin-view = View the article
help-field-title = Title
help-field-category = Category
help-field-visibility = Visibility
help-field-status = Status
help-field-related = Related articles (slugs, comma-separated)
help-field-keywords = Extra search words (comma-separated)
help-field-body = Text (Markdown)
col-slug = Slug
col-locale = Language
help-synonyms-title = Search synonyms
help-synonyms-help = One group a line, terms separated by commas, in any language: a search for one term also finds the others.
help-synonyms-invalid = Each line needs 2 to 20 terms of up to 60 characters.

## Tickets
ticket-category-account_sign_in = Account and sign-in
ticket-category-failed_transaction = Failed transaction
ticket-category-coupon = Coupon
ticket-category-card_linking = Bank card linking
ticket-category-refund = Refund
ticket-category-merchant_complaint = Complaint about a merchant
ticket-category-privacy_security = Privacy and security
ticket-category-other = Something else
ticket-status-new = New
ticket-status-open = Open
ticket-status-pending_customer = Waiting for your reply
ticket-status-on_hold = On hold
ticket-status-solved = Solved
ticket-status-closed = Closed
ticket-priority-low = Low
ticket-priority-normal = Normal
ticket-priority-high = High
ticket-priority-urgent = Urgent
ticket-channel-web = Website
ticket-channel-app = App
ticket-channel-messenger = Messenger
ticket-channel-x = X
ticket-channel-phone = Phone
ticket-missing-transaction = Which transaction? Ask the customer to pick it from their history, or link it.
ticket-missing-time-amount = Ask for the time and the amount of the transaction.
ticket-missing-identity = Not identified as a customer yet: verify who they are, then merge the contact.
ticket-rating-request = We have marked ticket #{ $number } as solved. How did we do? Rate our help from 1 to 5 on your ticket page; if something is still wrong, just reply and we will pick it up again.
ticket-flag-subject-not_recognised = I don't recognise transaction { $reference }
ticket-flag-subject-improper = Something is wrong with transaction { $reference }
ticket-flag-body-not_recognised = I reported this transaction because I don't recognise it.
ticket-flag-body-improper = I reported this transaction because something is wrong with it.
