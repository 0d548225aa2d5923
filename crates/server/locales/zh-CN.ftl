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
