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
