"""Every user-facing string, in English and Simplified Chinese.

Strings are Telegram HTML. Placeholders are filled by `text()`, which escapes
every value unless it is wrapped in `Html` (a fragment rendered from this
catalog), so a user's name can never break a message or inject markup.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

ENGLISH = "en"
CHINESE = "zh"


class Html(str):
    """A fragment that is already valid Telegram HTML."""

    __slots__ = ()


def language_for(language_code: str | None) -> str:
    """Telegram's `language_code` starting with zh → Chinese; anything else → English."""
    return CHINESE if (language_code or "").lower().startswith("zh") else ENGLISH


def text(lang: str, key: str, **params: object) -> Html:
    entry = CATALOG[key]
    template = entry[CHINESE] if lang == CHINESE else entry[ENGLISH]
    safe = {
        name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
        for name, value in params.items()
    }
    return Html(template.format(**safe))


CATALOG: Mapping[str, Mapping[str, str]] = {
    # --- help and identity ---
    "help.header": {
        ENGLISH: "<b>teamotp</b> — the team's shared authenticator.\nYour Telegram id: <code>{user_id}</code>",
        CHINESE: "<b>teamotp</b> — 团队共享的身份验证器。\n你的 Telegram ID：<code>{user_id}</code>",
    },
    "help.stranger": {
        ENGLISH: "You are not a member yet. Send your id above to an admin of your team; "
        "once they add you, send /code here or in your team's group.",
        CHINESE: "你还不是成员。请把上面的 ID 发给团队管理员；管理员添加你之后，"
        "在这里或团队群里发送 /code 即可获取验证码。",
    },
    "help.member": {
        ENGLISH: "You are a <b>member</b>.\n"
        "/code [account] — the current code\n"
        "/accounts — the accounts you may use\n"
        "/cancel — leave what you started",
        CHINESE: "你的身份：<b>成员</b>。\n"
        "/code [账号] — 获取当前验证码\n"
        "/accounts — 你可以使用的账号\n"
        "/cancel — 取消当前操作",
    },
    "help.admin_role": {ENGLISH: "You are an <b>admin</b>.", CHINESE: "你的身份：<b>管理员</b>。"},
    "help.owner_role": {ENGLISH: "You are an <b>owner</b>.", CHINESE: "你的身份：<b>所有者</b>。"},
    "help.admin": {
        ENGLISH: "/code [account], /accounts — codes, as members get them\n"
        "/add, /revoke — reply to someone's message, or give an id or @username; "
        "optional account names limit the grant\n"
        "/members — who has access (private chat)\n"
        "/secret add NAME SECRET — add an account (private chat only)\n"
        "/secret list | remove NAME | rename OLD NEW\n"
        "/approve, /unapprove — allow or stop codes in a group\n"
        "/notify on|off — notifications of code requests\n"
        "/audit [N] — the last N events",
        CHINESE: "/code [账号]、/accounts — 获取验证码\n"
        "/add、/revoke — 回复某人的消息，或填写 ID 或 @用户名；可在后面写账号名以限定权限\n"
        "/members — 查看谁有权限（私聊）\n"
        "/secret add 名称 密钥 — 添加账号（仅限私聊）\n"
        "/secret list | remove 名称 | rename 旧名 新名\n"
        "/approve、/unapprove — 允许或停止在群里发验证码\n"
        "/notify on|off — 验证码请求通知\n"
        "/audit [N] — 最近 N 条记录",
    },
    "help.owner": {
        ENGLISH: "/promote, /demote — make a member an admin, or back (owners only)",
        CHINESE: "/promote、/demote — 将成员设为管理员，或撤销管理员（仅限所有者）",
    },
    "help.claim": {
        ENGLISH: "This bot has no owner yet. The operator's start-up log shows a claim code: "
        "send <code>/claim CODE</code> here to become the owner.",
        CHINESE: "此机器人还没有所有者。服务器启动日志里有一个认领码："
        "在这里发送 <code>/claim 认领码</code> 即可成为所有者。",
    },
    # --- access ---
    "access.not_member": {
        ENGLISH: "You are not a member. Your Telegram id is <code>{user_id}</code>: "
        "send it to an admin of your team to be added.",
        CHINESE: "你不是成员。你的 Telegram ID 是 <code>{user_id}</code>，请发给团队管理员添加你。",
    },
    "access.admin_only": {
        ENGLISH: "Only admins may do that.",
        CHINESE: "只有管理员可以这样做。",
    },
    "access.owner_only": {
        ENGLISH: "Only owners may do that.",
        CHINESE: "只有所有者可以这样做。",
    },
    "access.anonymous": {
        ENGLISH: "You are posting as the group (anonymous admin), so I can't tell who you are. "
        'Turn off "Remain anonymous" or message me in private.',
        CHINESE: "你正以群组身份（匿名管理员）发言，我无法确认你是谁。请关闭“保持匿名”，或私聊我。",
    },
    "access.private_only": {
        ENGLISH: "That works only in a private chat with me.",
        CHINESE: "此命令只能在与我的私聊中使用。",
    },
    "access.group_only": {
        ENGLISH: "That works only in a group.",
        CHINESE: "此命令只能在群组中使用。",
    },
    # --- codes ---
    "code.reply": {
        ENGLISH: "🔑 <b>{account}</b>{for_whom}\n<code>{code}</code>\nValid for {seconds} s.",
        CHINESE: "🔑 <b>{account}</b>{for_whom}\n<code>{code}</code>\n有效期还剩 {seconds} 秒。",
    },
    "code.for_whom": {
        ENGLISH: " — for {name}",
        CHINESE: " — 给 {name}",
    },
    "code.next": {
        ENGLISH: "\nNext: <code>{code}</code>, valid in {seconds} s.",
        CHINESE: "\n下一个：<code>{code}</code>，{seconds} 秒后生效。",
    },
    "code.copy": {ENGLISH: "Copy", CHINESE: "复制"},
    "code.copy_next": {ENGLISH: "Copy next", CHINESE: "复制下一个"},
    "code.pick": {
        ENGLISH: "Which account?",
        CHINESE: "请选择账号：",
    },
    "code.chat_not_approved": {
        ENGLISH: "Codes are not shown in this group. An admin can allow it with /approve, "
        "or ask me in a private chat.",
        CHINESE: "此群未开通验证码。管理员可发送 /approve 开通，或者私聊我获取。",
    },
    "code.no_accounts": {
        ENGLISH: "You have no accounts yet. Ask an admin to grant you one.",
        CHINESE: "你还没有可用的账号，请联系管理员授权。",
    },
    "code.unknown_account": {
        ENGLISH: "You have no account named “{name}”. /accounts lists yours.",
        CHINESE: "你没有名为“{name}”的账号。发送 /accounts 查看你的账号。",
    },
    "code.not_a_name": {
        ENGLISH: "That is not an account name. /accounts lists yours.",
        CHINESE: "这不是账号名称。发送 /accounts 查看你的账号。",
    },
    "code.button_not_yours": {
        ENGLISH: "That account is not available to you.",
        CHINESE: "你无权使用这个账号。",
    },
    "accounts.list": {
        ENGLISH: "Your accounts:\n{lines}",
        CHINESE: "你的账号：\n{lines}",
    },
    "accounts.none": {
        ENGLISH: "You have no accounts yet.",
        CHINESE: "你还没有账号。",
    },
    # --- notifications ---
    "notify.code": {
        ENGLISH: "🔔 Code request: {outcome}\n"
        "Who: {name}{username} (<code>{user_id}</code>)\n"
        "Account: {account}\nWhere: {place}\nWhen: {time}",
        CHINESE: "🔔 验证码请求：{outcome}\n"
        "请求人：{name}{username}（<code>{user_id}</code>）\n"
        "账号：{account}\n位置：{place}\n时间：{time}",
    },
    "notify.granted": {ENGLISH: "✅ granted", CHINESE: "✅ 已发放"},
    "notify.denied": {ENGLISH: "⛔ denied ({reason})", CHINESE: "⛔ 已拒绝（{reason}）"},
    "reason.not_member": {ENGLISH: "not a member", CHINESE: "非成员"},
    "reason.chat_not_approved": {ENGLISH: "group not approved", CHINESE: "群组未开通"},
    "reason.no_accounts": {ENGLISH: "no accounts granted", CHINESE: "没有授权账号"},
    "reason.unknown_account": {ENGLISH: "no such account for them", CHINESE: "无此账号或未授权"},
    "reason.not_a_name": {ENGLISH: "not an account name", CHINESE: "不是账号名称"},
    "reason.button_not_yours": {ENGLISH: "account not granted", CHINESE: "账号未授权"},
    "notify.private": {ENGLISH: "private chat", CHINESE: "私聊"},
    "notify.group": {ENGLISH: "group “{title}” ({chat_id})", CHINESE: "群组“{title}”（{chat_id}）"},
    "notify.no_account": {ENGLISH: "—", CHINESE: "—"},
    "notify.on": {
        ENGLISH: "Notifications of code requests are <b>on</b>.",
        CHINESE: "验证码请求通知已<b>开启</b>。",
    },
    "notify.off": {
        ENGLISH: "Notifications of code requests are <b>off</b>.",
        CHINESE: "验证码请求通知已<b>关闭</b>。",
    },
    "notify.usage": {
        ENGLISH: "Usage: /notify on or /notify off",
        CHINESE: "用法：/notify on 或 /notify off",
    },
    # --- members ---
    "members.usage_add": {
        ENGLISH: "Who? Reply to their message with /add, or: /add USER_ID, /add @username "
        "(someone I have seen). Account names after it limit the grant: "
        "/add @alice amazon-us",
        CHINESE: "添加谁？请回复对方的消息发送 /add，或者：/add 用户ID、/add @用户名"
        "（我见过的人）。后面加账号名可限定权限：/add @alice amazon-us",
    },
    "members.usage_revoke": {
        ENGLISH: "Who? Reply to their message with /revoke, or: /revoke USER_ID, /revoke @username. "
        "With account names only those are taken away.",
        CHINESE: "移除谁？请回复对方的消息发送 /revoke，或者：/revoke 用户ID、/revoke @用户名。"
        "后面加账号名则只收回这些账号。",
    },
    "members.usage_promote": {
        ENGLISH: "Who? Reply to their message, or give a user id or @username.",
        CHINESE: "设置谁？请回复对方的消息，或填写用户 ID 或 @用户名。",
    },
    "members.added": {
        ENGLISH: "✅ {name} is a member, with {accounts}.",
        CHINESE: "✅ {name} 已成为成员，可用：{accounts}。",
    },
    "members.revoked": {
        ENGLISH: "🚫 {name} is no longer a member. Their next request is refused.",
        CHINESE: "🚫 {name} 已不再是成员，之后的请求都会被拒绝。",
    },
    "members.narrowed": {
        ENGLISH: "✂️ {name} now has {accounts}.",
        CHINESE: "✂️ {name} 现在可用：{accounts}。",
    },
    "members.promoted": {
        ENGLISH: "⭐ {name} is now an admin.",
        CHINESE: "⭐ {name} 现在是管理员。",
    },
    "members.demoted": {
        ENGLISH: "{name} is a member again (no longer an admin).",
        CHINESE: "{name} 已不再是管理员，恢复为成员。",
    },
    "members.all_accounts": {ENGLISH: "all accounts", CHINESE: "全部账号"},
    "members.no_accounts": {ENGLISH: "no accounts", CHINESE: "无账号"},
    "members.list": {
        ENGLISH: "<b>Members</b> ({count}):\n{lines}",
        CHINESE: "<b>成员</b>（{count}）：\n{lines}",
    },
    "members.line": {
        ENGLISH: "• {name}{username} — {role}, <code>{user_id}</code> — {accounts}",
        CHINESE: "• {name}{username} — {role}，<code>{user_id}</code> — {accounts}",
    },
    "role.owner": {ENGLISH: "owner", CHINESE: "所有者"},
    "role.admin": {ENGLISH: "admin", CHINESE: "管理员"},
    "role.member": {ENGLISH: "member", CHINESE: "成员"},
    "members.already_admin": {
        ENGLISH: "{name} is already an admin or owner and gets every account.",
        CHINESE: "{name} 已经是管理员或所有者，可以使用全部账号。",
    },
    "members.cannot_revoke_owner": {
        ENGLISH: "{name} is an owner; owners cannot be revoked from Telegram.",
        CHINESE: "{name} 是所有者；不能在 Telegram 中移除所有者。",
    },
    "members.cannot_demote_owner": {
        ENGLISH: "{name} is an owner, not an admin.",
        CHINESE: "{name} 是所有者，不是管理员。",
    },
    "members.not_a_member": {
        ENGLISH: "{name} is not a member.",
        CHINESE: "{name} 不是成员。",
    },
    "members.not_admin": {
        ENGLISH: "{name} is not an admin.",
        CHINESE: "{name} 不是管理员。",
    },
    "members.revoke_admin_needs_owner": {
        ENGLISH: "{name} is an admin: only an owner can revoke an admin.",
        CHINESE: "{name} 是管理员：只有所有者可以移除管理员。",
    },
    "members.admin_has_all": {
        ENGLISH: "{name} is an admin and uses every account; /demote them first.",
        CHINESE: "{name} 是管理员，可以使用全部账号；请先 /demote。",
    },
    "members.target_is_bot": {
        ENGLISH: "That is a bot, not a person.",
        CHINESE: "那是机器人，不是人。",
    },
    "members.unknown_username": {
        ENGLISH: "I have not seen {username} yet. Ask them to send me /start, then try again, "
        "or use their numeric id.",
        CHINESE: "我还没见过 {username}。请让对方先给我发送 /start，然后再试，或者使用对方的数字 ID。",
    },
    "members.no_target": {
        ENGLISH: "Who? Reply to their message, or give a user id or @username.",
        CHINESE: "指定谁？请回复对方的消息，或填写用户 ID 或 @用户名。",
    },
    # --- accounts and secrets ---
    "secret.usage": {
        ENGLISH: "Usage (private chat only):\n"
        "/secret add NAME SECRET — SECRET is the key the site shows (base32) or an otpauth:// link\n"
        "/secret list\n/secret remove NAME\n/secret rename OLD NEW",
        CHINESE: "用法（仅限私聊）：\n"
        "/secret add 名称 密钥 — 密钥是网站显示的那串字符（base32）或 otpauth:// 链接\n"
        "/secret list\n/secret remove 名称\n/secret rename 旧名 新名",
    },
    "secret.send_now": {
        ENGLISH: "Send the secret for <b>{name}</b> now (the key the site shows, or an otpauth:// "
        "link). I delete your message as soon as I read it. /cancel to stop.",
        CHINESE: "请现在发送 <b>{name}</b> 的密钥（网站显示的那串字符，或 otpauth:// 链接）。"
        "我读取后会立即删除你的消息。发送 /cancel 取消。",
    },
    "secret.added": {
        ENGLISH: "✅ Added <b>{name}</b>{issuer}. Your message with the secret was deleted.\n"
        "If the site asks you to verify, enter this code:",
        CHINESE: "✅ 已添加 <b>{name}</b>{issuer}。你发送的密钥消息已删除。\n"
        "如果网站要求验证，请输入这个验证码：",
    },
    "secret.short_warning": {
        ENGLISH: "⚠️ This secret is short ({bits} bits). Many sites still issue such secrets and "
        "the codes work, but a longer one is safer if the site offers it.",
        CHINESE: "⚠️ 这个密钥较短（{bits} 位）。很多网站仍然使用这种密钥，验证码可以正常使用，"
        "但如果网站提供更长的密钥会更安全。",
    },
    "secret.in_group": {
        ENGLISH: "⚠️ Never post a secret in a group. I refused it{deleted}. Treat this secret as "
        "exposed: reset the authenticator on the site, then add the new secret in a private "
        "chat with me.",
        CHINESE: "⚠️ 请勿在群里发送密钥。我已拒绝保存{deleted}。请视该密钥为已泄露："
        "请在网站上重新设置身份验证器，然后在与我的私聊中添加新密钥。",
    },
    "secret.in_group_deleted": {ENGLISH: " and deleted the message", CHINESE: "并删除了该消息"},
    "secret.in_group_not_deleted": {
        ENGLISH: " but cannot delete the message (make me an admin who may delete messages): "
        "delete it yourself now",
        CHINESE: "，但无法删除该消息（需要把我设为可删除消息的管理员）：请立即手动删除",
    },
    "secret.unasked": {
        ENGLISH: "That looked like an authenticator secret, so I deleted it. To add an account, "
        "send: /secret add NAME SECRET",
        CHINESE: "这条消息看起来像身份验证器密钥，我已将其删除。如需添加账号，请发送：/secret add 名称 密钥",
    },
    "secret.list": {
        ENGLISH: "<b>Accounts</b> ({count}):\n{lines}",
        CHINESE: "<b>账号</b>（{count}）：\n{lines}",
    },
    "secret.list_line": {
        ENGLISH: "• <b>{name}</b>{issuer} — {digits} digits, {period} s, {algorithm}",
        CHINESE: "• <b>{name}</b>{issuer} — {digits} 位，{period} 秒，{algorithm}",
    },
    "secret.list_empty": {
        ENGLISH: "No accounts yet. Add one with /secret add NAME SECRET.",
        CHINESE: "还没有账号。使用 /secret add 名称 密钥 添加。",
    },
    "secret.confirm_remove": {
        ENGLISH: "Remove <b>{name}</b>? Its secret is deleted for good: unless the site's "
        "authenticator is set up elsewhere too, nobody can sign in with it afterwards.",
        CHINESE: "确定删除 <b>{name}</b>？它的密钥将被永久删除：除非在别处也设置了该网站的"
        "身份验证器，否则之后没人能用它登录。",
    },
    "secret.remove_yes": {ENGLISH: "Remove", CHINESE: "删除"},
    "secret.remove_no": {ENGLISH: "Keep", CHINESE: "保留"},
    "secret.removed": {
        ENGLISH: "🗑 Removed <b>{name}</b>.",
        CHINESE: "🗑 已删除 <b>{name}</b>。",
    },
    "secret.kept": {
        ENGLISH: "Kept <b>{name}</b>.",
        CHINESE: "已保留 <b>{name}</b>。",
    },
    "secret.renamed": {
        ENGLISH: "Renamed to <b>{name}</b>.",
        CHINESE: "已重命名为 <b>{name}</b>。",
    },
    "account.bad_name": {
        ENGLISH: "“{name}” can't be an account name: use 1–{max} letters, digits, - or _ "
        "(e.g. amazon-us or 美国站).",
        CHINESE: "“{name}”不能作为账号名：请使用 1–{max} 个字母、数字、- 或 _（例如 amazon-us 或 美国站）。",
    },
    "account.name_like_secret": {
        ENGLISH: "That looks like an authenticator secret, not an account name (a message "
        "with a secret is deleted). Name the account first: /secret add NAME SECRET, "
        "e.g. /secret add amazon-us SECRET.",
        CHINESE: "这看起来是身份验证器密钥，而不是账号名称（含密钥的消息会被删除）。"
        "请先写账号名称：/secret add 名称 密钥，例如 /secret add amazon-us 密钥。",
    },
    "account.exists": {
        ENGLISH: "An account named “{name}” already exists. Pick another name, or remove it first.",
        CHINESE: "已存在名为“{name}”的账号。请换一个名称，或先删除它。",
    },
    "account.duplicate_secret": {
        ENGLISH: "This secret is already stored as “{name}”. Nothing was added.",
        CHINESE: "这个密钥已经保存为“{name}”，未重复添加。",
    },
    "account.unknown": {
        ENGLISH: "No account named {names}. /secret list shows them.",
        CHINESE: "没有名为 {names} 的账号。发送 /secret list 查看。",
    },
    "account.already_removed": {
        ENGLISH: "That account no longer exists.",
        CHINESE: "该账号已不存在。",
    },
    "secret.empty": {
        ENGLISH: "The secret is empty. Send the key the site shows, or an otpauth:// link.",
        CHINESE: "密钥为空。请发送网站显示的密钥，或 otpauth:// 链接。",
    },
    "secret.not_base32": {
        ENGLISH: "That is not a valid secret: it should be the letters A–Z and digits 2–7 the "
        "site shows (spaces and dashes are fine), or an otpauth:// link.",
        CHINESE: "这不是有效的密钥：应该是网站显示的 A–Z 字母和 2–7 数字（可以带空格和横线），"
        "或 otpauth:// 链接。",
    },
    "secret.too_short": {
        ENGLISH: "That secret is too short ({bits} bits; at least {min_bits} needed). "
        "Check that you copied all of it.",
        CHINESE: "密钥太短（{bits} 位，至少需要 {min_bits} 位）。请检查是否完整复制。",
    },
    "secret.too_long": {
        ENGLISH: "That is too long to be an authenticator secret.",
        CHINESE: "内容太长，不像是身份验证器密钥。",
    },
    "secret.bad_uri": {
        ENGLISH: "That otpauth:// link can't be used ({reason}). Expected "
        "otpauth://totp/NAME?secret=...",
        CHINESE: "这个 otpauth:// 链接无法使用（{reason}）。正确格式：otpauth://totp/名称?secret=...",
    },
    "secret.hotp": {
        ENGLISH: "That is a counter-based (HOTP) secret; only time-based (TOTP) codes are supported.",
        CHINESE: "这是基于计数器的（HOTP）密钥；目前只支持基于时间的（TOTP）验证码。",
    },
    "secret.bad_algorithm": {
        ENGLISH: "Unsupported algorithm {algorithm}: use SHA1, SHA256 or SHA512.",
        CHINESE: "不支持的算法 {algorithm}：请使用 SHA1、SHA256 或 SHA512。",
    },
    "secret.bad_digits": {
        ENGLISH: "Unsupported number of digits {digits}: use 6, 7 or 8.",
        CHINESE: "不支持的位数 {digits}：请使用 6、7 或 8。",
    },
    "secret.bad_period": {
        ENGLISH: "Unsupported period {period}: use a number of seconds such as 30.",
        CHINESE: "不支持的周期 {period}：请使用秒数，例如 30。",
    },
    "secret.migration": {
        ENGLISH: "That is a Google Authenticator export (otpauth-migration://). Importing those is "
        "not available yet: add each account with its own secret or otpauth://totp link.",
        CHINESE: "这是 Google 身份验证器导出链接（otpauth-migration://），暂不支持导入："
        "请用各账号自己的密钥或 otpauth://totp 链接逐个添加。",
    },
    # --- groups ---
    "chats.approved": {
        ENGLISH: "✅ This group is approved: members can get codes here with /code.",
        CHINESE: "✅ 本群已开通：成员可以在这里发送 /code 获取验证码。",
    },
    "chats.already_approved": {
        ENGLISH: "This group is already approved.",
        CHINESE: "本群已经开通。",
    },
    "chats.unapproved": {
        ENGLISH: "🚫 Codes are no longer shown in this group.",
        CHINESE: "🚫 本群已停止发送验证码。",
    },
    "chats.not_approved": {
        ENGLISH: "This group was not approved.",
        CHINESE: "本群本来就未开通。",
    },
    "chats.added_by_stranger": {
        ENGLISH: "Hello! Codes are not shown here until an admin of the team sends /approve.",
        CHINESE: "大家好！需要团队管理员发送 /approve 后，本群才会发送验证码。",
    },
    "chats.only_in_groups": {
        ENGLISH: "Send that in the group you mean.",
        CHINESE: "请在对应的群里发送此命令。",
    },
    # --- audit ---
    "audit.header": {
        ENGLISH: "<b>Last {count} events</b> (UTC):\n{lines}",
        CHINESE: "<b>最近 {count} 条记录</b>（UTC）：\n{lines}",
    },
    "audit.empty": {ENGLISH: "The audit log is empty.", CHINESE: "审计日志为空。"},
    "audit.usage": {
        ENGLISH: "Usage: /audit [N], N from 1 to 100 (default 20).",
        CHINESE: "用法：/audit [N]，N 为 1 到 100（默认 20）。",
    },
    # --- claim, cancel, misc ---
    "claim.usage": {
        ENGLISH: "Usage: /claim CODE (the code from the bot's start-up log).",
        CHINESE: "用法：/claim 认领码（机器人启动日志中的认领码）。",
    },
    "claim.done": {
        ENGLISH: "👑 You are now the owner of this bot.",
        CHINESE: "👑 你现在是这个机器人的所有者。",
    },
    "claim.not_open": {
        ENGLISH: "This bot already has an owner.",
        CHINESE: "这个机器人已经有所有者了。",
    },
    "claim.wrong_code": {
        ENGLISH: "That claim code is wrong.",
        CHINESE: "认领码不正确。",
    },
    "cancel.done": {ENGLISH: "Cancelled.", CHINESE: "已取消。"},
    "cancel.nothing": {ENGLISH: "Nothing to cancel.", CHINESE: "没有需要取消的操作。"},
    "error.internal": {
        ENGLISH: "Something went wrong on my side. Please try again in a moment.",
        CHINESE: "服务器出了点问题，请稍后再试。",
    },
    "error.button_expired": {
        ENGLISH: "This button has expired.",
        CHINESE: "此按钮已失效。",
    },
    # --- command menu (setMyCommands) ---
    "cmd.start": {ENGLISH: "What this bot does, and your id", CHINESE: "功能介绍和你的 ID"},
    "cmd.help": {ENGLISH: "Commands you may use", CHINESE: "你可以使用的命令"},
    "cmd.code": {ENGLISH: "Current code for an account", CHINESE: "获取账号的当前验证码"},
    "cmd.accounts": {ENGLISH: "Accounts you may use", CHINESE: "你可以使用的账号"},
    "cmd.add": {ENGLISH: "Admin: add a member", CHINESE: "管理员：添加成员"},
    "cmd.revoke": {ENGLISH: "Admin: revoke a member", CHINESE: "管理员：移除成员"},
    "cmd.members": {ENGLISH: "Admin: list members", CHINESE: "管理员：成员列表"},
    "cmd.secret": {
        ENGLISH: "Admin: manage accounts and secrets",
        CHINESE: "管理员：管理账号和密钥",
    },
    "cmd.approve": {
        ENGLISH: "Admin: allow codes in this group",
        CHINESE: "管理员：允许本群发验证码",
    },
    "cmd.unapprove": {
        ENGLISH: "Admin: stop codes in this group",
        CHINESE: "管理员：停止本群发验证码",
    },
    "cmd.notify": {ENGLISH: "Admin: request notifications on/off", CHINESE: "管理员：开关请求通知"},
    "cmd.audit": {ENGLISH: "Admin: recent events", CHINESE: "管理员：最近的记录"},
    "cmd.promote": {ENGLISH: "Owner: make a member an admin", CHINESE: "所有者：设为管理员"},
    "cmd.demote": {ENGLISH: "Owner: make an admin a member", CHINESE: "所有者：撤销管理员"},
    "cmd.cancel": {ENGLISH: "Leave what you started", CHINESE: "取消当前操作"},
}
