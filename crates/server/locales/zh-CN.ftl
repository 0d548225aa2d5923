# paydesk UI text, Simplified Chinese. Every key in en.ftl must exist here too
# (a unit test checks). Keep messages short; pages are read on phones.

brand = paydesk
skip-to-content = 跳至正文

## Navigation
nav-home = 首页
nav-customers = 客户
nav-team = 员工
nav-merchant = 商户
nav-api = API
nav-signout = 退出登录
nav-signin = 登录
nav-staff-signin = 员工登录
locale-label = 语言
locale-apply = 切换

## Landing page
landing-title = 钱包问题，随时为您解答
landing-intro = 登录查看您的账户，或以员工身份登录为客户提供帮助。
landing-customer-cta = 客户登录
landing-customer-body = 查看个人资料和账户设置。
landing-staff-cta = 员工登录
landing-staff-body = 适用于客服专员、主管、管理员及商户员工。
landing-api-cta = API 参考
landing-api-body = 适用于钱包 App 及系统集成。

## Sign-in
signin-title = 登录钱包账户
signin-intro = 请使用注册时的邮箱或手机号。
signin-login-label = 邮箱或手机号
signin-password-label = 密码
signin-submit = 登录
signin-error-invalid = 邮箱、手机号或密码错误。
signin-error-disabled = 该账户无法登录，请联系客服。
signin-error-unexpected = 暂时无法登录，请重试。
signin-error-csrf = 页面已过期，请重试。
signin-staff-link = 内部员工？员工登录
staff-signin-title = 员工登录
staff-signin-intro = 适用于客服专员、主管、管理员及商户员工。
staff-signin-login-label = 工作邮箱
staff-signin-customer-link = 您是客户？点此登录

## Customer home
home-greeting = 您好，{ $name }
home-profile-title = 我的资料
home-profile-body = 您联系客服时，客服看到的就是以下信息。请及时更新。
home-language-title = 语言
home-language-body = 页面及客服消息将使用此语言。
profile-name = 姓名
profile-email = 邮箱
profile-phone = 手机号
profile-region = 地区
profile-timezone = 时区
profile-language = 语言
profile-member-since = 注册时间
profile-status = 状态
profile-none = 未设置
status-active = 正常
status-suspended = 已冻结
status-closed = 已注销

## Roles
role-customer = 客户
role-agent = 客服专员
role-supervisor = 主管
role-admin = 管理员
role-merchant = 商户员工

## Staff home
staff-home-title = 客服工作台
staff-greeting = 当前登录：{ $name }
staff-role = 角色
staff-group = 小组
staff-section-customers = 客户
staff-section-customers-body = 按姓名、邮箱或手机号查找客户，并查看其资料。
staff-section-team = 员工
staff-section-team-body = paydesk 全体员工及其角色和所属小组。
staff-section-merchant = 我的商户
staff-section-merchant-body = 商户信息，以及可代表商户操作的同事。
staff-section-groups = 客服小组
staff-section-groups-body = 各小组负责各自的工单队列；每位客服专员只属于一个小组。
staff-open = 进入

## Customer directory
customers-title = 客户
customers-search-label = 姓名、邮箱或手机号
customers-region-label = 地区
customers-region-all = 全部地区
customers-search-submit = 搜索
customers-empty = 未找到匹配的客户。
customers-next = 下一页
customers-first = 第一页
customer-title = 客户资料
customer-back = 返回客户列表
col-name = 姓名
col-email = 邮箱
col-phone = 手机号
col-region = 地区
col-status = 状态
col-role = 角色
col-group = 小组
col-merchant = 商户

## Staff list and merchant
team-title = 员工
merchant-title = 我的商户
merchant-category = 经营类目
merchant-region = 地区
merchant-colleagues = 同事

## API reference page
api-title = API 参考
api-intro = 面向钱包 App 及系统集成的 JSON API。请使用通过 POST /api/v1/auth/tokens 获取的 Bearer 令牌进行认证。错误信息采用 RFC 9457 Problem Details 格式。
api-download = OpenAPI 文档（JSON）
api-access = 调用权限
api-parameters = 参数
api-request-body = 请求体
api-responses = 响应

## Errors
error-title = 出错了
error-not-found = 找不到该页面。
error-forbidden = 您的账户无权访问此页面。
error-method = 此页面不支持该操作方式。
error-too-large = 提交的内容过大。
error-timeout = 请求超时，请重试。
error-bad-request = 无法识别提交的内容。
error-internal = 系统出现问题，请稍后重试。
error-request-id = 客服查询编号：{ $id }
error-back-home = 返回首页

## Wallet: kinds, statuses, failures and next steps
kind-top-up = 充值
kind-payment = 付款
kind-transfer-out = 转出
kind-transfer-in = 转入
kind-refund = 退款
kind-withdrawal = 提现
status-pending = 处理中
status-succeeded = 成功
status-failed = 失败
status-reversed = 已冲正
failure-insufficient-balance = 您的余额不足，无法完成此交易。
failure-payment-method-declined = 您的银行或银行卡拒绝了此笔付款。
failure-bank-unavailable = 银行未能及时响应，本次交易未扣款。
failure-network-timeout = 交易完成前网络连接中断，本次交易未扣款。
failure-blocked-by-risk = 为保障您的账户安全，此交易已被安全检查拦截。
failure-limit-exceeded = 此交易金额超出您的钱包限额。
failure-merchant-unavailable = 商户暂时无法收款，本次交易未扣款。
failure-expired = 付款未在规定时间内确认，冻结的金额已解冻。
next-step-top-up = 请先充值，再重试。
next-step-retry-later = 请几分钟后重试。
next-step-use-another-method = 请换一张银行卡或换一个银行账户，或咨询您的银行。
next-step-contact-support = 请联系客服，并提供参考号 { $reference }。
unusual-amount-outlier = 已标记为异常：金额远高于您平时的消费水平。
unusual-first-payment-high = 已标记为异常：首次向该商户付款，且金额较大。
unusual-rapid-repeat = 已标记为异常：几分钟内多次发送了相同金额。

## Refunds
refund-rule-auto-approve = 已自动通过：金额低于商户的自动退款额度。
refund-rule-merchant-approval = 已提交商户：此金额的退款需经商户同意。
refund-rule-outside-window = 无法退款：商户仅受理付款后 { $days } 天内的退款申请。
refund-rule-reason-not-accepted = 无法退款：商户不受理此原因的退款。
refund-rule-partial-not-allowed = 无法退款：该商户仅支持一次性退还全部剩余金额。
refund-rule-too-many = 无法退款：此笔付款的退款次数已达商户上限。
refund-rule-exceeds-refundable = 无法退款：金额超出此笔付款的剩余可退金额。
refund-rule-payment-not-refundable = 无法退款：仅已完成的付款可以退款。
refund-rule-amount-not-positive = 请输入大于零的金额。
refund-rule-rejected-by-merchant = 商户已拒绝该退款申请。
refund-rule-policy-overridden = 经主管批准，作为商户退款政策的例外处理。
refund-status-requested = 等待商户处理
refund-status-approved = 已同意
refund-status-rejected = 已拒绝
refund-status-succeeded = 已退款
refund-status-failed = 退款失败
reason-not-received = 未收到货
reason-not-as-described = 与描述不符
reason-charged-twice = 重复扣款
reason-damaged = 商品损坏或有质量问题
reason-cancelled = 订单已取消
reason-changed-mind = 不想要了

## Wallet pages
nav-wallet = 交易记录
wallet-title = 我的交易记录
wallet-balance = 余额
wallet-available = 可用余额
wallet-filter-from = 开始日期
wallet-filter-to = 结束日期
wallet-filter-min = 最低金额
wallet-filter-max = 最高金额
wallet-filter-kind = 类型
wallet-filter-status = 状态
wallet-filter-text = 搜索
wallet-filter-any = 全部
wallet-filter-apply = 筛选
wallet-filter-reset = 清除筛选
wallet-export = 下载 CSV
wallet-empty = 没有符合筛选条件的交易。
wallet-older = 更早的交易
wallet-newest = 最新
col-date = 日期
col-description = 说明
col-amount = 金额
col-type = 类型
col-reference = 交易单号
tx-title = 交易详情
tx-back = 返回交易记录
tx-why-failed = 失败原因
tx-what-next = 处理建议
tx-unusual = 异常交易
tx-notes = 私人备注
tx-notes-help = 备注仅您本人可见。
tx-note-add = 添加备注
tx-note-save = 保存
tx-note-delete = 删除
tx-flag-title = 反馈交易问题
tx-flag-help = 如果您对这笔交易不知情，或发现交易有问题，请告诉我们，客服会进行核查。
tx-flag-reason = 遇到了什么问题？
tx-flag-not-recognised = 我对这笔交易不知情
tx-flag-improper = 这笔交易有问题
tx-flag-comment = 详细说明
tx-flag-submit = 提交反馈
tx-flagged = 您已反馈此交易。状态：{ $status }
flag-status-open = 待处理
flag-status-in-review = 核查中
flag-status-resolved = 已解决
tx-refund-title = 申请退款
tx-refund-amount = 退款金额
tx-refund-reason = 退款原因
tx-refund-submit = 提交退款申请
tx-refunds = 退款记录
tx-merchant = 商户
tx-counterparty = 对方用户
tx-error-note = 备注需为 1 至 2000 个字符。
tx-error-amount = 请输入金额，例如 15000。
tx-done = 已保存。

## Wallet pages: history, detail, staff and merchant views
wallet-held = 冻结中
wallet-unusual = 异常
wallet-error-date = 请按 2026-11-25 的格式输入日期。
wallet-error-amount = 请输入整数印尼盾金额，例如 15000。
wallet-error-range = 最高金额低于最低金额。
wallet-error-cursor = 此分页链接已失效，请从最新交易重新查看。
wallet-error-filter = 无法使用此筛选条件，请清除筛选后重试。
failure-short-insufficient-balance = 余额不足
failure-short-payment-method-declined = 银行或银行卡拒绝
failure-short-bank-unavailable = 银行暂不可用
failure-short-network-timeout = 网络连接中断
failure-short-blocked-by-risk = 安全检查拦截
failure-short-limit-exceeded = 超出限额
failure-short-merchant-unavailable = 商户暂不可用
failure-short-expired = 未及时确认
home-wallet-title = 我的钱包
home-wallet-link = 查看交易记录
tx-note-edit = 编辑
tx-note-added = 备注已添加。
tx-note-deleted = 备注已删除。
tx-flag-done = 感谢反馈。我们已收到，客服会尽快核查。
tx-error-flag-reason = 请选择这笔交易的问题。
tx-error-comment = 详细说明最多 2000 个字符。
tx-error-already-flagged = 您已反馈过这笔交易。
tx-refund-help = 商户的退款政策会立即给出结果，并显示在此处。
tx-refund-answer = 您的退款申请：{ $status }
tx-error-refund-reason = 请选择退款原因。
tx-decision-note = 商户备注
tx-flags = 用户反馈
tx-flags-none = 用户尚未反馈这笔交易。
flag-reason-not-recognised = 对交易不知情
flag-reason-improper = 交易有问题
tx-customer = 用户
tx-back-customer = 返回用户资料
customer-history = 最近交易
customer-history-empty = 暂无交易。
staff-section-refunds = 退款申请
staff-section-refunds-body = 审批需要您处理的用户退款申请。
merchant-refunds-title = 退款申请
merchant-refunds-intro = 待您处理的申请排在最前。批准的退款会立即退还给用户。
merchant-refunds-empty = 暂无退款申请。
merchant-refund-payment = 原支付
merchant-refund-rule = 政策结果
merchant-refund-note = 给用户的说明（拒绝时必填）
merchant-refund-approve = 批准
merchant-refund-reject = 拒绝
merchant-refund-approved = 已批准退款。
merchant-refund-rejected = 已拒绝退款。
merchant-refund-note-required = 拒绝退款时，请告知用户原因。
merchant-refund-note-too-long = 说明最多 1000 个字符。
merchant-refund-decided = 这笔退款已处理过。
wallet-filter-more = 更多筛选

## Support decisions on refunds
tx-support-note = 给客户的说明
tx-approve = 同意退款
tx-reject = 拒绝
tx-override-help = 该申请已被商户的退款政策拒绝。同意即为例外处理，请填写原因。
tx-refund-decided = 退款处理结果已保存。
tx-error-decision-note = 请填写原因：拒绝退款或例外处理都需要说明原因。

# 帮助中心
nav-help = 帮助
help-title = 帮助中心
help-search-label = 搜索帮助中心
help-search-placeholder = 例如：忘记密码、退款、银行卡被拒
help-search-button = 搜索
help-popular = 热门文章
help-empty = 暂无帮助文章。
help-results-title = 搜索结果
help-no-results = 没有找到相关文章。换个说法试试，或按分类浏览。
help-back = 全部帮助主题
help-internal = 内部文章：仅限客服人员
help-updated = 最后更新：{ $date }
help-was-helpful = 这篇文章对您有帮助吗？
help-comment = 还有什么想补充的吗？（选填）
help-yes = 有帮助
help-no = 没有帮助
help-vote-thanks = 感谢您的反馈。
help-related = 相关文章
help-cat-account-and-sign-in = 账户与登录
help-cat-payments-and-failed-transactions = 支付与交易失败
help-cat-coupons-and-promotions = 优惠券与促销
help-cat-bank-cards-and-accounts = 银行卡与银行账户
help-cat-refunds = 退款
help-cat-merchant-complaints = 投诉商户
help-cat-privacy-and-security = 隐私与安全
help-cat-contact-and-support-hours = 联系我们与服务时间

## Help-center editing (admins)
nav-help-admin = 帮助文章
help-admin-title = 帮助文章
help-admin-new = 新建译文
help-admin-new-slug = 标识（如 reset-password）
help-admin-bad-slug = 标识只能使用小写字母、数字和连字符，并请选择语言。
help-admin-edit = 编辑文章
help-admin-save = 保存并发布修改
help-admin-saved = 已保存，搜索已使用新内容。
help-admin-view = 查看文章
help-field-title = 标题
help-field-category = 分类
help-field-visibility = 可见范围
help-field-status = 状态
help-field-related = 相关文章（标识，用逗号分隔）
help-field-keywords = 额外搜索词（用逗号分隔）
help-field-body = 正文（Markdown）
col-slug = 标识
col-locale = 语言
help-synonyms-title = 搜索同义词
help-synonyms-help = 每行一组，词语之间用逗号分隔，可混用各种语言：搜索其中一个词时也会找到其他词。
help-synonyms-invalid = 每行需要 2 到 20 个词，每个词不超过 60 个字符。

## Tickets
ticket-category-account_sign_in = 账户与登录
ticket-category-failed_transaction = 交易失败
ticket-category-coupon = 优惠券
ticket-category-card_linking = 绑定银行卡
ticket-category-refund = 退款
ticket-category-merchant_complaint = 投诉商户
ticket-category-privacy_security = 隐私与安全
ticket-category-other = 其他问题
ticket-status-new = 新建
ticket-status-open = 处理中
ticket-status-pending_customer = 等待您回复
ticket-status-on_hold = 暂缓处理
ticket-status-solved = 已解决
ticket-status-closed = 已关闭
ticket-priority-low = 低
ticket-priority-normal = 普通
ticket-priority-high = 高
ticket-priority-urgent = 紧急
ticket-channel-web = 网站
ticket-channel-app = App
ticket-channel-messenger = Messenger
ticket-channel-x = X
ticket-channel-phone = 电话
ticket-missing-transaction = 是哪一笔交易？请客户从交易记录中选择，或由您直接关联。
ticket-missing-time-amount = 请询问交易的时间和金额。
ticket-missing-identity = 尚未确认客户身份：请先核实身份，再合并该联系人。
ticket-rating-request = 工单 #{ $number } 已标记为已解决。您对我们的服务满意吗？请在工单页面给出 1 到 5 分的评价；如果问题仍未解决，直接回复即可，我们会继续跟进。
ticket-flag-subject-not_recognised = 我不认识交易 { $reference }
ticket-flag-subject-improper = 交易 { $reference } 有问题
ticket-flag-body-not_recognised = 我举报这笔交易，因为我不记得自己做过。
ticket-flag-body-improper = 我举报这笔交易，因为它有问题。
