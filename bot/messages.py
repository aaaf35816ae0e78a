"""Every user-facing string, in English and Simplified Chinese.

Strings are Telegram HTML. Placeholders are filled by `text()`, which escapes
every value unless it is wrapped in `Html` (a fragment rendered from this
catalog), so a user's name can never break a message or inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping

ENGLISH = "en"
CHINESE = "zh"


class Html(str):
    """A fragment that is already valid Telegram HTML."""

    __slots__ = ()


class Key(str):
    """A value that is itself a catalog key (with no placeholders): `text()` renders it in
    the language of the message it fills. So a reason decided where no reader is known
    (the rules refusing an `otpauth://` link) reaches each reader in their own language."""

    __slots__ = ()


def language_for(language_code: str | None) -> str:
    """Telegram's `language_code` starting with zh → Chinese; anything else → English."""
    return CHINESE if (language_code or "").lower().startswith("zh") else ENGLISH


def plain(fragment: str) -> str:
    """For places that take no markup: callback query answers, the command line."""
    return html.unescape(_TAG.sub("", fragment))


_TAG = re.compile(r"<[^>]+>")


def issuer_suffix(lang: str, issuer: str | None) -> Html:
    """` (Amazon)` after an account's name (full-width brackets in Chinese), or nothing."""
    return text(lang, "account.issuer", issuer=issuer) if issuer else Html("")


def username_suffix(username: str | None) -> str:
    """` @mia` after a person's name, or nothing: a value for `text()` to escape."""
    return f" @{username}" if username else ""


def listed(lang: str, items: Iterable[object]) -> Html:
    """Items one after another as the reader's language lists them: `a, b` in English,
    `a、b` in Chinese; each escaped like any other value."""
    return Html(CATALOG["list.separator"][_which(lang)].join(_filled(lang, i) for i in items))


def text(lang: str, key: str, **params: object) -> Html:
    """The message `key` in `lang`, its placeholders filled. A value is escaped unless it
    is `Html`; a `Key` is rendered in `lang`; a tuple or list is `listed`."""
    template = CATALOG[key][_which(lang)]
    return Html(template.format(**{name: _filled(lang, v) for name, v in params.items()}))


def _which(lang: str) -> str:
    return CHINESE if lang == CHINESE else ENGLISH


def _filled(lang: str, value: object) -> str:
    if isinstance(value, Html):
        return value
    if isinstance(value, Key):
        return text(lang, value)
    if isinstance(value, tuple | list):
        return listed(lang, value)
    return html.escape(str(value), quote=False)


CATALOG: Mapping[str, Mapping[str, str]] = {
    # --- help and identity ---
    "help.header": {
        ENGLISH: "<b>teamotp</b> — the team's shared authenticator.\nYour Telegram id: <code>{user_id}</code>",
        CHINESE: "<b>teamotp</b> — 团队共用的身份验证器，"
        "为亚马逊卖家中心等网站的两步验证（2SV）提供验证码。\n"
        "你的 Telegram ID：<code>{user_id}</code>",
    },
    "help.stranger": {
        ENGLISH: "You are not a member yet. Send your id above to an admin of your team; "
        "once they add you, send /code here or in your team's group.",
        CHINESE: "你还不是成员。请把上面的 ID 发给团队管理员；管理员添加你之后，"
        "在这里或团队的群组里发送 /code 即可获取验证码。",
    },
    "help.member": {
        ENGLISH: "You are a <b>member</b>.\n"
        "/code [account] — the current code (the start of a name will do: /code amaz)\n"
        "/code ACCOUNT reason — for an account that needs an admin's approval: "
        "the admins are asked, and the code comes once one approves\n"
        "/accounts — the accounts you may use\n"
        "/sms wait ACCOUNT — the site sends its code by SMS: the next one the team's spare "
        "phone receives comes to you, in private\n"
        "/cancel — leave what you started\n"
        "Some accounts' codes come only in a private chat with me, also when you ask in a group.",
        CHINESE: "你的身份：<b>成员</b>。\n"
        "/code [账号名称] — 获取当前验证码（只写名称的开头也可以：/code amaz）\n"
        "/code 账号名称 原因 — 用于需要管理员批准的账号：先请管理员批准，"
        "批准后再发给你验证码\n"
        "/accounts — 你可以使用的账号\n"
        "/sms wait 账号名称 — 网站用短信发送验证码时：团队备用手机收到的下一条验证码私聊发给你\n"
        "/cancel — 取消当前操作\n"
        "部分账号的验证码只通过私聊发给你，即使你是在群组里请求的。",
    },
    "help.admin_role": {ENGLISH: "You are an <b>admin</b>.", CHINESE: "你的身份：<b>管理员</b>。"},
    "help.owner_role": {ENGLISH: "You are an <b>owner</b>.", CHINESE: "你的身份：<b>所有者</b>。"},
    "help.admin": {
        ENGLISH: "/code [account], /accounts — codes, as members get them\n"
        "/add, /revoke — reply to someone's message, or give an id or @username; "
        "optional account names limit the grant; <code>for 8h</code> (or 30m, 3d) at the end "
        "of /add makes it end by itself\n"
        "/members — who has access (private chat)\n"
        "/secret add NAME SECRET — add an account (private chat only)\n"
        "A photo of the site's QR code (private chat) — add the account it holds; the "
        "caption names it\n"
        "/secret import LINK — every account of a Google Authenticator export "
        "(otpauth-migration://…)\n"
        "/secret list | remove NAME | rename OLD NEW\n"
        "/secret rotate NAME — the site changes authenticator: the old key stays until you "
        "confirm the new one\n"
        "/secret note NAME TEXT — a recovery note: who holds the backup phone (admins only)\n"
        "/approve, /unapprove — allow or stop codes in a group\n"
        "/roster on|off — in a group: whoever leaves it loses their access at once\n"
        "/notify on|off — notifications of code requests\n"
        "/policy NAME — approval, delivery and /add policy of an account (private chat)\n"
        "/policy NAME approval admin — members' requests wait for an admin's Approve "
        "(they give a reason: /code NAME reason); admins' own requests are not held\n"
        "/lock, /unlock — stop every code at once (owners excepted), and resume\n"
        "/sms add NAME — the team's spare phone forwards the account's SMS codes (private "
        "chat); /sms shows the rest\n"
        "/lang zh|en in a group — the language the bot speaks to the whole group\n"
        "/audit [N] [admin|denied|@user] — the last N events, or only some\n"
        "/cancel — leave what you started",
        CHINESE: "/code [账号名称]、/accounts — 像成员一样获取验证码\n"
        "/add、/revoke — 回复某人的消息，或写上用户 ID 或 @用户名；"
        "后面写账号名称则只针对这些账号；"
        "/add 末尾加 <code>for 8h</code>（或 <code>30m</code>、<code>3d</code>）则到期自动收回\n"
        "/members — 查看谁有权限（私聊）\n"
        "/secret add 账号名称 密钥 — 添加账号（仅限私聊）\n"
        "在私聊中发送网站二维码的图片 — 添加其中的账号；图片说明写账号名称\n"
        "/secret import 链接 — 导入 Google 身份验证器导出的全部账号（otpauth-migration://…）\n"
        "/secret list | remove 账号名称 | rename 旧名称 新名称\n"
        "/secret rotate 账号名称 — 网站更换身份验证器：确认新密钥之前，旧密钥照常使用\n"
        "/secret note 账号名称 备注 — 恢复备注：备用手机在谁手里（仅管理员可见）\n"
        "/approve、/unapprove — 为群组开通或关闭验证码\n"
        "/roster on|off — 在群组中使用：退出该群组的人立即失去权限\n"
        "/notify on|off — 开启或关闭验证码请求通知\n"
        "/policy 账号名称 — 查看账号的审批、发送方式和 /add 规则（私聊）\n"
        "/policy 账号名称 approval admin — 成员的请求需管理员批准（成员要写明原因："
        "/code 账号名称 原因）；管理员自己的请求无需批准\n"
        "/lock、/unlock — 立即停止发送所有验证码（所有者除外），以及恢复发送\n"
        "/sms add 账号名称 — 让团队备用手机转发该账号的短信验证码（私聊）；发送 /sms 查看其他用法\n"
        "在群组中发送 /lang zh|en — 设置机器人对全群说话的语言\n"
        "/audit [N] [admin|denied|@用户名] — 最近 N 条操作记录，或只看其中一部分\n"
        "/cancel — 取消当前操作",
    },
    "help.owner": {
        ENGLISH: "/promote, /demote — make a member an admin, or back (owners only)\n"
        "/secret export NAME — the account's QR code and link, to set it up on a phone; "
        "deleted after 60 s (owners only, private chat)",
        CHINESE: "/promote、/demote — 将成员设为管理员，或撤销管理员身份（仅限所有者）\n"
        "/secret export 账号名称 — 导出账号的二维码和链接，用于在手机上设置；"
        "60 秒后自动删除（仅限所有者，私聊）",
    },
    "help.language": {
        ENGLISH: "/lang zh — reply to me in Chinese (中文) · /lang en — in English",
        CHINESE: "/lang en — 改用英文（English）回复 · /lang zh — 用中文回复",
    },
    "help.claim": {
        ENGLISH: "This bot has no owner yet. The operator's start-up log shows a claim code: "
        "send <code>/claim CODE</code> here to become the owner.",
        CHINESE: "此机器人还没有所有者。服务器的启动日志里有一个认领码："
        "在这里发送 <code>/claim 认领码</code> 即可成为所有者。",
    },
    # --- access ---
    "access.not_member": {
        ENGLISH: "You are not a member. Your Telegram id is <code>{user_id}</code>: "
        "send it to an admin of your team to be added.",
        CHINESE: "你不是成员。你的 Telegram ID 是 <code>{user_id}</code>，请发给团队管理员，"
        "由管理员添加你。",
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
        'To be identified, turn off "Remain anonymous" for yourself in the group\'s admin '
        "settings (Administrators → your name), or message me in private.",
        CHINESE: "你正以群组身份（匿名管理员）发言，我无法确认你是谁。"
        "要让我识别你，请在群组的管理员设置中（管理员 → 你的名字）关闭“保持匿名”，或私聊我。",
    },
    "access.unknown_command": {
        ENGLISH: "I don't know that command. Send /help to see what you can do.",
        CHINESE: "没有这个命令。发送 /help 查看你可以使用的命令。",
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
        CHINESE: " — {name} 请求",
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
    "code.pick_paged": {
        ENGLISH: "Which account? Or send /code with the start of its name, e.g. /code amazon",
        CHINESE: "请选择账号，或发送 /code 加账号名称的开头，例如 /code amazon",
    },
    "code.pick_more": {
        ENGLISH: "More »",
        CHINESE: "下一页 »",
    },
    "code.pick_back": {
        ENGLISH: "« Back",
        CHINESE: "« 上一页",
    },
    "code.chat_not_approved": {
        ENGLISH: "Codes are not shown in this group. An admin can allow it with /approve, "
        "or ask me in a private chat.",
        CHINESE: "本群未开通验证码。管理员可发送 /approve 开通，或者私聊我获取。",
    },
    "code.no_accounts": {
        ENGLISH: "You have no accounts yet. Ask an admin to grant you one.",
        CHINESE: "你还没有可用的账号，请联系管理员授权。",
    },
    "code.no_accounts_yet": {
        ENGLISH: "There are no accounts yet. Add one in a private chat with me: send "
        "<code>/secret add NAME</code> and then the key the site shows, or send a photo "
        "of the site's QR code.",
        CHINESE: "还没有任何账号。请在与我的私聊中添加：发送 <code>/secret add 账号名称</code>，"
        "再发送网站显示的密钥；或者直接发送网站二维码的图片。",
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
        "账号：{account}\n"
        "来源：{place}\n"
        "时间：{time}",
    },
    "notify.granted": {ENGLISH: "✅ granted", CHINESE: "✅ 已发送"},
    "notify.denied": {ENGLISH: "⛔ denied ({reason})", CHINESE: "⛔ 已拒绝（{reason}）"},
    "reason.not_member": {ENGLISH: "not a member", CHINESE: "非成员"},
    "reason.chat_not_approved": {ENGLISH: "group not approved", CHINESE: "群组未开通"},
    "reason.no_accounts": {ENGLISH: "no accounts granted", CHINESE: "没有授权账号"},
    "reason.no_accounts_yet": {ENGLISH: "no accounts yet", CHINESE: "还没有任何账号"},
    "reason.unknown_account": {ENGLISH: "no such account for them", CHINESE: "无此账号或未授权"},
    "reason.not_a_name": {ENGLISH: "not an account name", CHINESE: "不是账号名称"},
    "reason.button_not_yours": {ENGLISH: "account not granted", CHINESE: "账号未授权"},
    "reason.wrong_code": {ENGLISH: "wrong claim code", CHINESE: "认领码错误"},
    "reason.role": {ENGLISH: "role too low", CHINESE: "权限不足"},
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
        "/add @alice amazon-us. <code>for 8h</code> (30m, 3d; up to 90d) at the end makes it "
        "end by itself: /add @alice amazon-us for 8h",
        CHINESE: "要添加谁？请回复对方的消息并发送 /add，"
        "或者发送 /add 用户 ID、/add @用户名（对方须先给我发过消息，"
        "或在我所在的群组里发过言）。后面写账号名称则只授权这些账号：/add @alice amazon-us。"
        "末尾加 <code>for 8h</code>（也可以是 <code>30m</code>、<code>3d</code>，"
        "最长 <code>90d</code>），到期自动收回权限：/add @alice amazon-us for 8h",
    },
    "members.usage_revoke": {
        ENGLISH: "Who? Reply to their message with /revoke, or: /revoke USER_ID, /revoke @username. "
        "With account names only those are taken away.",
        CHINESE: "要移除谁？请回复对方的消息并发送 /revoke，"
        "或者发送 /revoke 用户 ID、/revoke @用户名。后面写账号名称则只收回这些账号的权限。",
    },
    "members.usage_promote": {
        ENGLISH: "Who? Reply to their message, or give a user id or @username.",
        CHINESE: "请指明是谁：回复对方的消息，或写上对方的用户 ID 或 @用户名。",
    },
    "members.added": {
        ENGLISH: "✅ {name} is a member, with {accounts}.",
        CHINESE: "✅ {name} 已成为成员，可使用：{accounts}。",
    },
    "members.revoked": {
        ENGLISH: "🚫 {name} is no longer a member. Their next request is refused.",
        CHINESE: "🚫 {name} 已不再是成员，之后的请求都会被拒绝。",
    },
    "members.narrowed": {
        ENGLISH: "✂️ {name} now has {accounts}.",
        CHINESE: "✂️ {name} 现在可使用：{accounts}。",
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
        CHINESE: "{name} 已经是管理员或所有者，本来就能使用全部账号。",
    },
    "members.cannot_revoke_owner": {
        ENGLISH: "{name} is an owner, set on the server in TEAMOTP_OWNER_IDS, so they cannot "
        "be revoked from Telegram. To remove them, take their id out of TEAMOTP_OWNER_IDS "
        "there and restart the bot.",
        CHINESE: "{name} 是所有者（在服务器的 TEAMOTP_OWNER_IDS 中设置），无法在 Telegram 里移除。"
        "如需移除，请在服务器上从 TEAMOTP_OWNER_IDS 中删去此人的 ID，然后重启机器人。",
    },
    "members.cannot_demote_owner": {
        ENGLISH: "{name} is an owner, not an admin: owners are set on the server in "
        "TEAMOTP_OWNER_IDS and cannot be demoted from Telegram. To remove them, take their id "
        "out of TEAMOTP_OWNER_IDS there and restart the bot.",
        CHINESE: "{name} 是所有者，不是管理员：所有者在服务器的 TEAMOTP_OWNER_IDS 中设置，"
        "无法在 Telegram 里撤销。如需移除，请在服务器上从 TEAMOTP_OWNER_IDS 中删去此人的 ID，"
        "然后重启机器人。",
    },
    "members.cannot_revoke_claimed_owner": {
        ENGLISH: "{name} is an owner (they claimed the bot), so they cannot be revoked from "
        "Telegram.",
        CHINESE: "{name} 是所有者（用认领码认领了机器人），无法在 Telegram 里移除。",
    },
    "members.cannot_demote_claimed_owner": {
        ENGLISH: "{name} is an owner, not an admin (they claimed the bot): owners cannot be "
        "demoted from Telegram.",
        CHINESE: "{name} 是所有者，不是管理员（用认领码认领了机器人）：所有者无法在 Telegram 里撤销。",
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
        CHINESE: "{name} 是管理员：只有所有者才能移除管理员。",
    },
    "members.admin_has_all": {
        ENGLISH: "{name} is an admin and uses every account; /demote them first.",
        CHINESE: "{name} 是管理员，本来就能使用全部账号，无法只收回其中几个。如需限制，"
        "请先用 /demote 撤销其管理员身份。",
    },
    "members.target_is_bot": {
        ENGLISH: "That is a bot, not a person.",
        CHINESE: "对方是机器人账号，不是真人用户。",
    },
    "members.unknown_username": {
        ENGLISH: "I have not seen {username} yet. Ask them to send me /start, then try again, "
        "or use their numeric id.",
        CHINESE: "找不到 {username}：对方还没有和我打过交道。请让对方先给我发送 /start，然后重试；"
        "或者改用对方的数字 ID。",
    },
    "members.no_target": {
        ENGLISH: "Who? Reply to their message, or give a user id or @username.",
        CHINESE: "请指明是谁：回复对方的消息，或写上对方的用户 ID 或 @用户名。",
    },
    # --- accounts and secrets ---
    # --- fragments other messages are built from ---
    "list.separator": {ENGLISH: ", ", CHINESE: "、"},
    "account.issuer": {ENGLISH: " ({issuer})", CHINESE: "（{issuer}）"},
    "secret.usage": {
        ENGLISH: "Usage (private chat only):\n"
        "/secret add NAME SECRET — SECRET is the key the site shows (base32) or an otpauth:// link\n"
        "/secret list\n/secret remove NAME\n/secret rename OLD NEW\n"
        "/secret import otpauth-migration://... — a Google Authenticator export\n"
        "/secret export NAME — owners: its QR code, for a phone\n"
        "/secret rotate NAME — a new key when the site changes authenticator (the old key "
        "stays until you confirm)\n"
        "/secret note NAME TEXT — a recovery note (who holds the backup phone); "
        "/secret note NAME shows it, /secret note NAME - removes it\n"
        "Or send a photo of the QR code (the caption names the account).",
        CHINESE: "用法（仅限私聊）：\n"
        "/secret add 账号名称 密钥 — 密钥填网站显示的那串字符（base32），或 otpauth:// 链接\n"
        "/secret list — 账号列表\n"
        "/secret remove 账号名称 — 删除账号\n"
        "/secret rename 旧名称 新名称 — 重命名账号\n"
        "/secret import otpauth-migration://… — 导入 Google 身份验证器导出的账号\n"
        "/secret export 账号名称 — 仅限所有者：导出二维码，用于在手机上设置\n"
        "/secret rotate 账号名称 — 网站更换身份验证器时录入新密钥（确认之前，"
        "旧密钥照常使用）\n"
        "/secret note 账号名称 备注 — 恢复备注（备用手机在谁手里）；"
        "/secret note 账号名称 查看备注，/secret note 账号名称 - 删除备注\n"
        "也可以直接发送二维码图片（图片说明写账号名称）。",
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
        CHINESE: "⚠️ 这个密钥较短（{bits} 比特）。很多网站仍在使用这种长度的密钥，"
        "验证码可以正常使用；但如果网站能提供更长的密钥，会更安全。",
    },
    "secret.in_group": {
        ENGLISH: "⚠️ Never post a secret in a group. I refused it{deleted}. Treat this secret as "
        "exposed: reset the authenticator on the site, then add the new secret in a private "
        "chat with me.",
        CHINESE: "⚠️ 切勿在群组里发送密钥。我已拒绝保存{deleted}。请把这个密钥视为已泄露："
        "到网站上重新设置身份验证器，然后在与我的私聊中添加新密钥。",
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
        CHINESE: "这条消息看起来像身份验证器密钥，我已将其删除。如需添加账号，请发送："
        "/secret add 账号名称 密钥",
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
        CHINESE: "还没有账号。使用 /secret add 账号名称 密钥 添加。",
    },
    "secret.confirm_remove": {
        ENGLISH: "Remove <b>{name}</b>? Its secret is deleted for good: unless the site's "
        "authenticator is set up elsewhere too, nobody can sign in with it afterwards.",
        CHINESE: "确定删除 <b>{name}</b> 吗？密钥将被永久删除，无法恢复。"
        "如果这个网站的身份验证器没有在其他手机或应用上设置过，"
        "删除后就没人能再登录这个账号了。",
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
        ENGLISH: "That can't be an account name: use 1–{max} letters, digits, - or _ "
        "(e.g. amazon-us or 美国站).",
        CHINESE: "这个账号名称不能用：只能包含文字（中文、英文字母等）、数字、- 或 _，"
        "长度 1–{max} 个字符（例如 amazon-us 或 美国站）。",
    },
    "account.name_like_secret": {
        ENGLISH: "That looks like an authenticator secret, not an account name (a message "
        "with a secret is deleted). Name the account first: /secret add NAME SECRET, "
        "e.g. /secret add amazon-us SECRET.",
        CHINESE: "这看起来是身份验证器密钥，而不是账号名称（含密钥的消息会被删除）。请先写账号名称："
        "/secret add 账号名称 密钥，例如 /secret add amazon-us 密钥。",
    },
    "account.exists": {
        ENGLISH: "An account named “{name}” already exists. Pick another name, or remove it first.",
        CHINESE: "已存在名为“{name}”的账号。请换一个账号名称，或先删除它。",
    },
    "account.duplicate_secret": {
        ENGLISH: "This secret is already stored as “{name}”. Nothing was added.",
        CHINESE: "这个密钥已经保存为“{name}”，未重复添加。",
    },
    "account.unknown": {
        ENGLISH: "No account named {names}. /secret list shows them.",
        CHINESE: "没有名为 {names} 的账号。发送 /secret list 查看全部账号。",
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
        CHINESE: "密钥太短（{bits} 比特，至少需要 {min_bits} 比特）。请检查是否复制完整。",
    },
    "secret.too_long": {
        ENGLISH: "That is too long to be an authenticator secret.",
        CHINESE: "内容太长，不像是身份验证器密钥。",
    },
    "secret.bad_uri": {
        ENGLISH: "That otpauth:// link can't be used ({reason}). Expected "
        "otpauth://totp/NAME?secret=...",
        CHINESE: "这个 otpauth:// 链接无法使用（{reason}）。正确格式："
        "otpauth://totp/账号名称?secret=...",
    },
    # Why an otpauth:// link is refused: the {reason} of secret.bad_uri.
    "uri.not_otpauth": {ENGLISH: "not otpauth", CHINESE: "不是 otpauth 链接"},
    "uri.malformed": {ENGLISH: "malformed", CHINESE: "格式错误"},
    "uri.unknown_type": {ENGLISH: "unknown type", CHINESE: "类型未知"},
    "uri.duplicate_parameter": {ENGLISH: "duplicate parameter", CHINESE: "有重复的参数"},
    "uri.missing_secret": {ENGLISH: "missing secret", CHINESE: "缺少密钥"},
    "uri.bad_label": {ENGLISH: "bad label", CHINESE: "账号部分无法识别"},
    "uri.issuer_too_long": {ENGLISH: "issuer too long", CHINESE: "发行方名称太长"},
    "uri.issuer_unprintable": {
        ENGLISH: "issuer unprintable",
        CHINESE: "发行方名称含有无法显示的字符",
    },
    "uri.label_too_long": {ENGLISH: "label too long", CHINESE: "账号部分太长"},
    "uri.label_unprintable": {
        ENGLISH: "label unprintable",
        CHINESE: "账号部分含有无法显示的字符",
    },
    "secret.hotp": {
        ENGLISH: "That is a counter-based (HOTP) secret; only time-based (TOTP) codes are supported.",
        CHINESE: "这个密钥按使用次数生成验证码（HOTP）；这里只支持按时间自动更新的验证码（TOTP）。",
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
        ENGLISH: "That is a Google Authenticator export (otpauth-migration://), which can hold many "
        "accounts: send it with /secret import LINK, or send me its QR code as a picture.",
        CHINESE: "这是 Google 身份验证器的导出链接（otpauth-migration://），里面可能有多个账号："
        "请用 /secret import 链接 发送，或直接把它的二维码图片发给我。",
    },
    # --- QR code images ---
    "image.too_big": {
        ENGLISH: "That file is too big (over {max_mb} MB). Send a screenshot or photo of just the QR code.",
        CHINESE: "文件太大（超过 {max_mb} MB）。请只发送二维码的截图或照片。",
    },
    "image.too_many_pixels": {
        ENGLISH: "That image is too large ({megapixels} megapixels; the limit is {max_megapixels}). "
        "Send a smaller screenshot or photo of the QR code.",
        CHINESE: "图片尺寸太大（{megapixels} 百万像素，上限为 {max_megapixels}）。请发送尺寸更小的二维码截图或照片。",
    },
    "image.unreadable": {
        ENGLISH: "I couldn't open that as an image. Send the QR code as a photo, or as a PNG, JPEG "
        "or WEBP file.",
        CHINESE: "无法打开这张图片。请以照片形式发送二维码，或发送 PNG、JPEG 或 WEBP 格式的文件。",
    },
    "image.no_qr": {
        ENGLISH: "I found no QR code in that image. Send a sharper, uncropped picture of the QR "
        "code, or paste the secret as text.",
        CHINESE: "这张图片里没有找到二维码。请发送更清晰、完整的二维码图片，或直接粘贴密钥文本。",
    },
    # --- Google Authenticator exports (teamotp/domain/migration.py) ---
    "migration.bad_uri": {
        ENGLISH: "That is not a Google Authenticator export link. Expected "
        "otpauth-migration://offline?data=... Send the whole QR code or link.",
        CHINESE: "这不是 Google 身份验证器导出链接。正确格式：otpauth-migration://offline?data=...，"
        "请发送完整的二维码或链接。",
    },
    "migration.bad_base64": {
        ENGLISH: "That Google Authenticator export link is damaged (its data is not valid base64). "
        "Export again and send the whole QR code or link.",
        CHINESE: "这个 Google 身份验证器导出链接已损坏（数据不是有效的 base64）。"
        "请重新导出，并发送完整的二维码或链接。",
    },
    "migration.bad_payload": {
        ENGLISH: "That Google Authenticator export can't be read (it may be cut off). "
        "Export again and send the whole QR code or link.",
        CHINESE: "无法读取这个 Google 身份验证器导出内容（可能不完整）。请重新导出，并发送完整的二维码或链接。",
    },
    "migration.empty": {
        ENGLISH: "That Google Authenticator export holds no accounts. Select the accounts to "
        "transfer, then export again.",
        CHINESE: "这个 Google 身份验证器导出中没有账号。请先选择要转移的账号，再重新导出。",
    },
    "migration.too_large": {
        ENGLISH: "That is too large for a Google Authenticator export. Send one QR code or link "
        "at a time.",
        CHINESE: "内容过长，超出了 Google 身份验证器导出的正常大小。请一次只发送一个二维码或链接。",
    },
    "import.skip_hotp": {
        ENGLISH: "counter-based (HOTP); only time-based (TOTP) codes are supported",
        CHINESE: "按使用次数生成验证码（HOTP）；只支持按时间自动更新的验证码（TOTP）",
    },
    "import.skip_type": {
        ENGLISH: "unknown type; only time-based (TOTP) codes are supported",
        CHINESE: "类型未知；只支持按时间自动更新的验证码（TOTP）",
    },
    "import.skip_algorithm": {
        ENGLISH: "unsupported algorithm (only SHA1, SHA256 and SHA512 work)",
        CHINESE: "算法不受支持（仅支持 SHA1、SHA256 和 SHA512）",
    },
    "import.skip_digits": {
        ENGLISH: "unsupported number of digits (only 6 or 8 work)",
        CHINESE: "位数不受支持（仅支持 6 位或 8 位）",
    },
    "import.skip_secret": {
        ENGLISH: "its secret is missing or too short (at least 80 bits needed)",
        CHINESE: "密钥缺失或太短（至少需要 80 比特）",
    },
    # --- imports (QR images, Google Authenticator exports) and exports ---
    "import.added": {
        ENGLISH: "✅ Added {count}:\n{lines}",
        CHINESE: "✅ 已添加 {count} 个账号：\n{lines}",
    },
    "import.added_line": {ENGLISH: "• <b>{name}</b>{issuer}", CHINESE: "• <b>{name}</b>{issuer}"},
    "import.batch": {
        ENGLISH: "This was QR code {number} of {size} of a Google Authenticator export: send the others too.",
        CHINESE: "这是 Google 身份验证器导出的第 {number} 个二维码（共 {size} 个）：请把其余的也发给我。",
    },
    "import.skipped": {
        ENGLISH: "Not added:\n{lines}",
        CHINESE: "未添加：\n{lines}",
    },
    "import.skipped_line": {ENGLISH: "• {label}: {reason}", CHINESE: "• {label}：{reason}"},
    "import.rename_offer": {
        ENGLISH: "I named it from the QR code. Send another name now to rename it, or /cancel to keep this one.",
        CHINESE: "账号名称取自二维码。现在发送新的账号名称即可重命名，或发送 /cancel 保留。",
    },
    "import.codes": {
        ENGLISH: "Current codes (if a site asks you to verify):\n{lines}",
        CHINESE: "当前验证码（如网站要求验证）：\n{lines}",
    },
    "import.code_line": {
        ENGLISH: "• <b>{name}</b>: <code>{code}</code> ({seconds} s)",
        CHINESE: "• <b>{name}</b>：<code>{code}</code>（{seconds} 秒）",
    },
    "import.duplicate": {
        ENGLISH: "already stored as “{name}”",
        CHINESE: "已保存为“{name}”",
    },
    "import.not_otp": {
        ENGLISH: "That QR code is not an authenticator setup code (it holds no otpauth:// link).",
        CHINESE: "这个二维码不是用来设置身份验证器的（里面没有 otpauth:// 链接）。",
    },
    "import.nothing": {
        ENGLISH: "I found nothing to add. Send the QR code the site shows for an authenticator app, "
        "or a Google Authenticator export.",
        CHINESE: "没有找到可添加的内容。请发送网站为身份验证器应用显示的二维码，"
        "或 Google 身份验证器的导出二维码。",
    },
    "export.confirm": {
        ENGLISH: "Export <b>{name}</b>? I will send its QR code and setup link, protected from "
        "forwarding, and delete both after {seconds} s. Every admin is told.",
        CHINESE: "确定导出 <b>{name}</b> 吗？我会发送它的二维码和设置链接（禁止转发），"
        "{seconds} 秒后删除。所有管理员都会收到通知。",
    },
    "export.confirm_yes": {ENGLISH: "Export", CHINESE: "导出"},
    "export.confirm_no": {ENGLISH: "Cancel", CHINESE: "取消"},
    "export.caption": {
        ENGLISH: "🔐 {name}: scan this with an authenticator app. Deleted in {seconds} s.",
        CHINESE: "🔐 {name}：请用身份验证器应用扫描。{seconds} 秒后删除。",
    },
    "export.link": {
        ENGLISH: "<code>{uri}</code>",
        CHINESE: "<code>{uri}</code>",
    },
    "export.sent": {
        ENGLISH: "Sent <b>{name}</b> below; it disappears in {seconds} s.",
        CHINESE: "已在下方发送 <b>{name}</b>，{seconds} 秒后自动删除。",
    },
    "notify.export": {
        ENGLISH: "🔐 Secret exported: <b>{account}</b>\n"
        "By: {name}{username} (<code>{user_id}</code>)\nWhen: {time}",
        CHINESE: "🔐 密钥已导出：<b>{account}</b>\n"
        "操作人：{name}{username}（<code>{user_id}</code>）\n时间：{time}",
    },
    # --- the command line (`teamotp accounts ...`) ---
    "cli.added": {
        ENGLISH: "Added {name}. Current code: {code} (valid for {seconds} s).",
        CHINESE: "已添加 {name}。当前验证码：{code}（还剩 {seconds} 秒）。",
    },
    "cli.need_yes": {
        ENGLISH: "Removing {name} deletes its secret for good; add --yes to confirm.",
        CHINESE: "删除 {name} 会永久删除其密钥；请加上 --yes 确认。",
    },
    "cli.confirm_prompt": {ENGLISH: "Remove it? [y/N] ", CHINESE: "确定删除？[y/N] "},
    "cli.secret_prompt": {
        ENGLISH: "Secret (not shown): ",
        CHINESE: "密钥（输入时不显示）：",
    },
    "cli.list_empty": {
        ENGLISH: "No accounts yet. Add one with: teamotp accounts add NAME --secret "
        "(it asks for the key), or --qr IMAGE for a screenshot of the site's QR code.",
        CHINESE: "还没有账号。添加账号：teamotp accounts add 账号名称 --secret（随后输入密钥），"
        "或用 --qr 图片文件 读取网站二维码的截图。",
    },
    "cli.file_unreadable": {
        ENGLISH: "Cannot read the file {path}.",
        CHINESE: "无法读取文件 {path}。",
    },
    # --- groups ---
    "chats.approved": {
        ENGLISH: "✅ This group is approved: members can get codes here with /code.",
        CHINESE: "✅ 本群已开通验证码：成员可以在这里发送 /code 获取验证码。",
    },
    "chats.already_approved": {
        ENGLISH: "This group is already approved.",
        CHINESE: "本群已经开通了验证码。",
    },
    "chats.unapproved": {
        ENGLISH: "🚫 Codes are no longer shown in this group.",
        CHINESE: "🚫 本群已关闭验证码，不再发送验证码。",
    },
    "chats.not_approved": {
        ENGLISH: "This group was not approved.",
        CHINESE: "本群本来就没有开通验证码，无需关闭。",
    },
    "chats.added_by_stranger": {
        ENGLISH: "Hello! Codes are not shown here until an admin of the team sends /approve.",
        CHINESE: "大家好！团队管理员发送 /approve 开通后，本群才会发送验证码。",
    },
    "chats.only_in_groups": {
        ENGLISH: "Send that in the group you mean.",
        CHINESE: "请在要操作的群组里发送此命令。",
    },
    # --- audit ---
    "audit.header": {
        ENGLISH: "<b>Last {count} events</b> ({zone}):\n{lines}",
        CHINESE: "<b>最近 {count} 条操作记录</b>（{zone}）：\n{lines}",
    },
    "audit.empty": {ENGLISH: "The audit log is empty.", CHINESE: "操作记录为空。"},
    "audit.line": {
        ENGLISH: "{time} {actor} {event}{outcome}",
        CHINESE: "{time} {actor} {event}{outcome}",
    },
    # Who did what `teamotp members`, `teamotp accounts` … did: whoever runs them on the server.
    "audit.actor.server": {ENGLISH: "the server", CHINESE: "服务器"},
    "audit.refused": {ENGLISH: " — refused: {reason}", CHINESE: " — 已拒绝：{reason}"},
    "audit.outcome.granted": {ENGLISH: " — granted", CHINESE: " — 已发送"},
    "audit.outcome.approved": {ENGLISH: " — codes allowed there", CHINESE: " — 已开通验证码"},
    "audit.outcome.not_approved": {ENGLISH: " — not approved", CHINESE: " — 未开通"},
    "audit.event.code": {ENGLISH: "asked for a code: {account}", CHINESE: "请求验证码：{account}"},
    "audit.event.code_unnamed": {ENGLISH: "asked for a code", CHINESE: "请求验证码"},
    "audit.event.command": {ENGLISH: "used /{command}", CHINESE: "使用 /{command}"},
    "audit.event.member.add": {
        ENGLISH: "added {target} ({accounts})",
        CHINESE: "添加成员 {target}（{accounts}）",
    },
    "audit.event.member.revoke": {ENGLISH: "removed {target}", CHINESE: "移除成员 {target}"},
    "audit.event.member.revoke_some": {
        ENGLISH: "took {accounts} from {target}",
        CHINESE: "收回 {target} 的 {accounts}",
    },
    "audit.event.member.promote": {
        ENGLISH: "made {target} an admin",
        CHINESE: "将 {target} 设为管理员",
    },
    "audit.event.member.demote": {
        ENGLISH: "made {target} a member again",
        CHINESE: "将 {target} 改回成员",
    },
    "audit.event.notify.on": {ENGLISH: "turned notifications on", CHINESE: "开启通知"},
    "audit.event.notify.off": {ENGLISH: "turned notifications off", CHINESE: "关闭通知"},
    "audit.event.audit.read": {
        ENGLISH: "read the last {count} events",
        CHINESE: "查看最近 {count} 条操作记录",
    },
    "audit.event.account.add": {ENGLISH: "added account {account}", CHINESE: "添加账号 {account}"},
    "audit.event.account.import": {
        ENGLISH: "imported account {account}",
        CHINESE: "导入账号 {account}",
    },
    "audit.event.account.remove": {
        ENGLISH: "removed account {account}",
        CHINESE: "删除账号 {account}",
    },
    "audit.event.account.rename": {
        ENGLISH: "renamed account {from_name} to {account}",
        CHINESE: "将账号 {from_name} 重命名为 {account}",
    },
    "audit.event.account.export": {
        ENGLISH: "exported account {account}",
        CHINESE: "导出账号 {account}",
    },
    "audit.event.chat.approve": {
        ENGLISH: "allowed codes in group {chat}",
        CHINESE: "为群组 {chat} 开通验证码",
    },
    "audit.event.chat.unapprove": {
        ENGLISH: "stopped codes in group {chat}",
        CHINESE: "为群组 {chat} 关闭验证码",
    },
    "audit.event.chat.bot_added": {
        ENGLISH: "added the bot to group {chat}",
        CHINESE: "将机器人加入群组 {chat}",
    },
    "audit.event.chat.bot_removed": {
        ENGLISH: "removed the bot from group {chat}",
        CHINESE: "将机器人移出群组 {chat}",
    },
    "audit.event.chat.language": {
        ENGLISH: "set the language of group {chat} to {language}",
        CHINESE: "将群组 {chat} 的语言设为{language}",
    },
    "audit.event.chat.migrate": {
        ENGLISH: "group {from_chat} became supergroup {chat} (its earlier events show {from_chat})",
        CHINESE: "群组 {from_chat} 升级为超级群组 {chat}（该群组此前的记录显示为 {from_chat}）",
    },
    "audit.event.claim": {ENGLISH: "claimed the bot", CHINESE: "认领机器人"},
    "audit.usage": {
        ENGLISH: "Usage: /audit [N] [admin] [denied] [@user], N from 1 to 100 (default 20): "
        "the last N events; <code>admin</code> only changes made by admins, "
        "<code>denied</code> only refusals, <code>@user</code> only those of one person.",
        CHINESE: "用法：/audit [N] [admin] [denied] [@用户名]，N 为 1 到 100（默认 20）："
        "最近 N 条操作记录；<code>admin</code> 只看管理员的操作，"
        "<code>denied</code> 只看被拒绝的请求，<code>@用户名</code> 只看此人的记录。",
    },
    # --- claim, cancel, misc ---
    "claim.log": {
        ENGLISH: "No owner is configured. Send /claim {code} to @{bot} in a private chat to "
        "become the owner (or set TEAMOTP_OWNER_IDS).",
        CHINESE: "尚未设置所有者。在私聊中向 @{bot} 发送 /claim {code} 即可成为所有者"
        "（也可以在服务器上设置 TEAMOTP_OWNER_IDS）。",
    },
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
        CHINESE: "管理员：为本群开通验证码",
    },
    "cmd.unapprove": {
        ENGLISH: "Admin: stop codes in this group",
        CHINESE: "管理员：关闭本群的验证码",
    },
    "cmd.notify": {
        ENGLISH: "Admin: request notifications on/off",
        CHINESE: "管理员：开启或关闭请求通知",
    },
    "cmd.audit": {ENGLISH: "Admin: recent events", CHINESE: "管理员：最近的操作记录"},
    "cmd.promote": {ENGLISH: "Owner: make a member an admin", CHINESE: "所有者：设为管理员"},
    "cmd.demote": {ENGLISH: "Owner: make an admin a member", CHINESE: "所有者：撤销管理员"},
    "cmd.cancel": {ENGLISH: "Leave what you started", CHINESE: "取消当前操作"},
    "cmd.lang": {
        ENGLISH: "Language: /lang zh (中文) or /lang en",
        CHINESE: "语言：/lang zh（中文）或 /lang en（English）",
    },
    # --- /sms: codes the team's spare phone receives by SMS ---
    "cmd.sms": {
        ENGLISH: "SMS codes from the team's spare phone: /sms wait ACCOUNT",
        CHINESE: "团队备用手机收到的短信验证码：/sms wait 账号名称",
    },
    "sms.usage": {
        ENGLISH: "/sms wait ACCOUNT — you are logging in and the site sends its code by SMS: "
        "the next one the team's spare phone receives comes to you alone, in private "
        "(for 5 minutes)\n"
        "Admins, in a private chat:\n"
        "/sms add ACCOUNT — make the spare phone forward its SMS to me (shows the steps)\n"
        "/sms list | remove ACCOUNT | rotate ACCOUNT (a new address and secret)\n"
        "/sms changes ACCOUNT on|off — also pass on codes that approve a change of the "
        "account (off by default)",
        CHINESE: "/sms wait 账号名称 — 你正在登录，网站用短信发送验证码：团队备用手机收到的"
        "下一条验证码只私聊发给你一个人（等待 5 分钟）\n"
        "管理员（私聊）：\n"
        "/sms add 账号名称 — 让备用手机把短信转发给我（会显示设置步骤）\n"
        "/sms list | remove 账号名称 | rotate 账号名称（更换地址和密钥）\n"
        "/sms changes 账号名称 on|off — 是否也转发用于批准账号变更的验证码（默认关闭）",
    },
    "sms.exists": {
        ENGLISH: "<b>{name}</b> has an SMS relay already. /sms rotate {name} gives it a new "
        "address and secret.",
        CHINESE: "<b>{name}</b> 已设置短信转发。发送 /sms rotate {name} 可更换地址和密钥。",
    },
    "sms.no_relay": {
        ENGLISH: "<b>{name}</b> gets no SMS codes through me. An admin sets that up with "
        "/sms add {name}.",
        CHINESE: "<b>{name}</b> 没有设置短信转发。管理员可以发送 /sms add {name} 进行设置。",
    },
    "sms.needs_approval": {
        ENGLISH: "Codes of <b>{name}</b> need an admin's approval. Ask with /code {name} and "
        "your reason; once an admin approves for 1 h, /sms wait {name} works.",
        CHINESE: "<b>{name}</b> 的验证码需要管理员批准。请发送 /code {name} 加上原因申请；"
        "管理员选择“批准 1 小时”后，即可使用 /sms wait {name}。",
    },
    "sms.someone_waiting": {
        ENGLISH: "{who} is already waiting for an SMS code for <b>{name}</b> ({seconds} s "
        "more). One person at a time, so the code reaches the one who is logging in: ask "
        "them, or try again then.",
        CHINESE: "{who} 正在等待 <b>{name}</b> 的短信验证码（还剩 {seconds} 秒）。"
        "同一时间只能一人等待，以免验证码发错人：请先问问对方，或稍后再试。",
    },
    "sms.waiting": {
        ENGLISH: "📩 Waiting for an SMS code for <b>{name}</b> for {minutes} minutes. Have "
        "the site send it now: it comes here, to you alone.",
        CHINESE: "📩 正在等待 <b>{name}</b> 的短信验证码，最多 {minutes} 分钟。"
        "现在请网站发送验证码：它只会发到这里，只发给你。",
    },
    "sms.waiting_group": {
        ENGLISH: "📩 Waiting for an SMS code for <b>{name}</b> for {minutes} minutes: it "
        "comes to you alone, in a private chat with me. If you never wrote to me, open "
        "@{bot} and press Start now.",
        CHINESE: "📩 正在等待 <b>{name}</b> 的短信验证码，最多 {minutes} 分钟：验证码只会"
        "私聊发给你。如果你从未私聊过我，请现在打开 @{bot} 并点击 Start。",
    },
    "sms.press_waiting": {
        ENGLISH: "Waiting for an SMS code for {name} for {minutes} minutes: it comes to you "
        "in a private chat with me.",
        CHINESE: "正在等待 {name} 的短信验证码，最多 {minutes} 分钟：验证码会私聊发给你。",
    },
    "sms.wait_button": {
        ENGLISH: "📩 Waiting for an SMS code",
        CHINESE: "📩 等待短信验证码",
    },
    "sms.start_first": {
        ENGLISH: "I can't write to you in private yet: open @{bot}, press Start, then send "
        "/sms wait again there. The code is kept meanwhile.",
        CHINESE: "我还不能私聊你：请打开 @{bot}，点击 Start，然后在那里再发送一次 /sms wait。"
        "验证码会先为你保留。",
    },
    "sms.sent_private": {
        ENGLISH: "📩 The SMS code for <b>{name}</b> is in your private chat with me.",
        CHINESE: "📩 <b>{name}</b> 的短信验证码已私聊发给你。",
    },
    "sms.code": {
        ENGLISH: "📩 <b>{account}</b> — SMS code\n<code>{code}</code>\n"
        "Arrived {time}. For you alone: don't forward it.",
        CHINESE: "📩 <b>{account}</b> — 短信验证码\n<code>{code}</code>\n"
        "收到时间：{time}。只发给了你，请勿转发。",
    },
    "sms.code_for_change": {
        ENGLISH: "\n⚠️ This SMS is about a change to the account (a new phone, password or "
        "security setting). Use the code only if you are making that change yourself.",
        CHINESE: "\n⚠️ 这条短信与账号变更有关（更换手机、密码或安全设置）。"
        "只有当你本人正在进行这项变更时才使用此验证码。",
    },
    "sms.address_unknown": {
        ENGLISH: "https://YOUR-SERVER",
        CHINESE: "https://你的服务器地址",
    },
    "sms.added": {
        ENGLISH: "📱 SMS relay for <b>{name}</b>. Set it up once, on the team's spare phone "
        "(the one whose SIM gets the site's SMS):\n"
        "1. Install SmsForwarder (<code>github.com/pppscn/SmsForwarder</code>), let it read "
        "SMS, and turn battery optimisation off for it so that it keeps running.\n"
        "2. Senders → + → Webhook:\n"
        "• Method: POST\n"
        "• Webhook address: <code>{url}</code>\n"
        "• Secret: <code>{secret}</code>\n"
        "• Message template: <code>{template}</code>\n"
        "• Success keyword: <code>{success}</code>\n"
        "3. Rules → +: SMS, match all (or the site's sender), sender: the webhook above. "
        "Save, then send the rule's test: admins are told an SMS arrived with no code in it.\n"
        "Keep the address behind HTTPS or a private network: the app does not check "
        "certificates. The secret is shown only here: delete this message once the phone "
        "is set up. Members then send /sms wait {name} before they log in.",
        CHINESE: "📱 <b>{name}</b> 的短信转发。请在团队备用手机（装着接收网站短信的 SIM 卡的"
        "那台）上设置一次：\n"
        "1. 安装短信转发器 SmsForwarder（<code>github.com/pppscn/SmsForwarder</code>），"
        "允许它读取短信，并关闭它的电池优化，让它一直在后台运行。\n"
        "2. 发送通道 → + → Webhook：\n"
        "• 请求方式：POST\n"
        "• Webhook 地址：<code>{url}</code>\n"
        "• 密钥：<code>{secret}</code>\n"
        "• 消息模板：<code>{template}</code>\n"
        "• 成功关键字：<code>{success}</code>\n"
        "3. 转发规则 → +：类型选短信，匹配全部（或网站的发送号码），发送通道选上面的 "
        "Webhook。保存后点测试：管理员会收到“收到一条没有验证码的短信”的通知。\n"
        "请把这个地址放在 HTTPS 或内网之后：该应用不校验证书。密钥只在这里显示一次："
        "手机设置好后请删除这条消息。之后成员登录前先发送 /sms wait {name}。",
    },
    "sms.no_listener": {
        ENGLISH: "⚠️ The bot takes no posts from the phone yet: whoever runs its server sets "
        "<code>TEAMOTP_HTTP_PORT</code> and <code>TEAMOTP_HTTP_URL</code> and restarts it "
        '(<code>README.md</code>, "SMS codes from the team\'s spare phone").',
        CHINESE: "⚠️ 机器人目前还不接收手机发来的请求：请服务器管理员设置 "
        "<code>TEAMOTP_HTTP_PORT</code> 和 <code>TEAMOTP_HTTP_URL</code> 并重启"
        "（见 <code>README.zh-CN.md</code> 中的“备用手机的短信验证码”）。",
    },
    "sms.rotated": {
        ENGLISH: "🔁 New address and secret for the SMS relay of <b>{name}</b>: the old ones "
        "stop working now. On the spare phone, in SmsForwarder's webhook sender, change:\n"
        "• Webhook address: <code>{url}</code>\n"
        "• Secret: <code>{secret}</code>\n"
        "(Template <code>{template}</code>, success keyword <code>{success}</code>, as "
        "before.) Delete this message once the phone is set up.",
        CHINESE: "🔁 <b>{name}</b> 的短信转发已更换地址和密钥：旧的立即失效。"
        "请在备用手机上 SmsForwarder 的 Webhook 发送通道中修改：\n"
        "• Webhook 地址：<code>{url}</code>\n"
        "• 密钥：<code>{secret}</code>\n"
        "（消息模板 <code>{template}</code>、成功关键字 <code>{success}</code> 不变。）"
        "手机设置好后请删除这条消息。",
    },
    "sms.removed": {
        ENGLISH: "The SMS relay of <b>{name}</b> is removed: what the phone posts is refused "
        "from now on. Remove its rule in SmsForwarder too.",
        CHINESE: "已删除 <b>{name}</b> 的短信转发：今后手机发来的请求都会被拒绝。"
        "请同时删除 SmsForwarder 中对应的转发规则。",
    },
    "sms.changes_on": {
        ENGLISH: "Codes that approve a change of <b>{name}</b> (a new phone, password or "
        "security setting) are passed on too, to the member who waits, with a warning.",
        CHINESE: "用于批准 <b>{name}</b> 账号变更（更换手机、密码或安全设置）的验证码也会"
        "转发给正在等待的成员，并附上提醒。",
    },
    "sms.changes_off": {
        ENGLISH: "Codes that approve a change of <b>{name}</b> are not passed on: admins are "
        "told one arrived.",
        CHINESE: "用于批准 <b>{name}</b> 账号变更的验证码不会转发：收到时只通知管理员。",
    },
    "sms.list_empty": {
        ENGLISH: "No SMS relays. /sms add ACCOUNT sets one up.",
        CHINESE: "还没有短信转发。发送 /sms add 账号名称 进行设置。",
    },
    "sms.list_header": {
        ENGLISH: "📱 <b>SMS relays</b>",
        CHINESE: "📱 <b>短信转发</b>",
    },
    "sms.list_line": {
        ENGLISH: "• <b>{name}</b> — last SMS: {last}; account change codes: {changes}",
        CHINESE: "• <b>{name}</b> — 最近一条短信：{last}；账号变更验证码：{changes}",
    },
    "sms.never": {ENGLISH: "none yet", CHINESE: "还没有"},
    "sms.changes_yes": {ENGLISH: "passed on", CHINESE: "转发"},
    "sms.changes_no": {ENGLISH: "not passed on", CHINESE: "不转发"},
    "notify.sms.delivered": {
        ENGLISH: "📩 SMS code for <b>{account}</b> sent to {name}{username} "
        "(<code>{user_id}</code>), who was waiting for it\nWhen: {time}",
        CHINESE: "📩 <b>{account}</b> 的短信验证码已发给正在等待的 {name}{username}"
        "（<code>{user_id}</code>）\n时间：{time}",
    },
    "notify.sms.handed": {
        ENGLISH: "📩 The SMS code kept for <b>{account}</b> was given to {name}{username} "
        "(<code>{user_id}</code>)\nWhen: {time}",
        CHINESE: "📩 为 <b>{account}</b> 保留的短信验证码已发给 {name}{username}"
        "（<code>{user_id}</code>）\n时间：{time}",
    },
    "notify.sms.kept": {
        ENGLISH: "📩 An SMS code for <b>{account}</b> arrived and nobody was waiting: it is "
        "kept 5 minutes for the first member who sends /sms wait {account}\nWhen: {time}",
        CHINESE: "📩 收到 <b>{account}</b> 的短信验证码，但没有人在等待：保留 5 分钟，"
        "给第一个发送 /sms wait {account} 的成员\n时间：{time}",
    },
    "notify.sms.undelivered": {
        ENGLISH: "⚠️ The SMS code for <b>{account}</b> could not be sent to {name}{username} "
        "(<code>{user_id}</code>): they may have blocked me. It is kept 5 minutes for "
        "/sms wait {account}\nWhen: {time}",
        CHINESE: "⚠️ <b>{account}</b> 的短信验证码无法发给 {name}{username}"
        "（<code>{user_id}</code>）：对方可能屏蔽了我。验证码保留 5 分钟，"
        "可发送 /sms wait {account} 获取\n时间：{time}",
    },
    "notify.sms.dropped": {
        ENGLISH: "📩 The SMS code kept for <b>{account}</b> was dropped: nobody asked for it "
        "within 5 minutes\nWhen: {time}",
        CHINESE: "📩 为 <b>{account}</b> 保留的短信验证码已丢弃：5 分钟内没有人领取\n时间：{time}",
    },
    "notify.sms.no_code": {
        ENGLISH: "📩 An SMS arrived for <b>{account}</b> with no code in it: nothing was "
        "passed on\nWhen: {time}",
        CHINESE: "📩 收到 <b>{account}</b> 的一条短信，其中没有验证码：未转发\n时间：{time}",
    },
    "notify.sms.ambiguous": {
        ENGLISH: "📩 An SMS arrived for <b>{account}</b> with more than one number that could "
        "be its code: nothing was passed on, rather than a guess\nWhen: {time}",
        CHINESE: "📩 收到 <b>{account}</b> 的一条短信，其中有多个数字都可能是验证码："
        "为免猜错，未转发\n时间：{time}",
    },
    "notify.sms.change_refused": {
        ENGLISH: "⚠️ An SMS for <b>{account}</b> brought a code that approves a change of "
        "the account (a new phone, password or security setting). It was not passed on: "
        "if nobody on the team is making that change, check the account now. "
        "/sms changes {account} on passes such codes on.\nWhen: {time}",
        CHINESE: "⚠️ 收到 <b>{account}</b> 的一条短信，其中的验证码用于批准账号变更"
        "（更换手机、密码或安全设置）。未转发：如果团队里没有人在做这项变更，"
        "请立即检查账号。发送 /sms changes {account} on 可转发此类验证码。\n时间：{time}",
    },
    "notify.sms.refused": {
        ENGLISH: "⚠️ Posts to the SMS relay of <b>{account}</b> were refused (wrong or "
        "missing secret, a time off by more than 5 minutes, a replay, or a body I cannot "
        "read): /audit shows each. If the phone's clock or template is wrong, fix it; if "
        "not, someone else has the address: /sms rotate {account}.\nWhen: {time}",
        CHINESE: "⚠️ <b>{account}</b> 的短信转发收到了被拒绝的请求（密钥错误或缺失、"
        "时间相差超过 5 分钟、重放，或内容无法读取）：/audit 可查看每一条。"
        "如果是手机的时间或模板不对，请改正；否则说明别人知道了这个地址："
        "请发送 /sms rotate {account}。\n时间：{time}",
    },
    "notify.sms.wait_ended": {
        ENGLISH: "📩 No SMS code came for <b>{account}</b> within 5 minutes. Is the spare "
        "phone on, with SmsForwarder running? Send /sms wait {account} to wait again.",
        CHINESE: "📩 5 分钟内没有收到 <b>{account}</b> 的短信验证码。备用手机是否开机、"
        "SmsForwarder 是否在运行？发送 /sms wait {account} 可再次等待。",
    },
    "notify.sms.wait_refused": {
        ENGLISH: "🔔 {name}{username} (<code>{user_id}</code>) was refused an SMS code for "
        "<b>{account}</b>: {reason}\nWhen: {time}",
        CHINESE: "🔔 {name}{username}（<code>{user_id}</code>）等待 <b>{account}</b> 的短信验证码"
        "被拒绝：{reason}\n时间：{time}",
    },
    "notify.sms.for_change": {
        ENGLISH: "\n(The SMS was about a change of the account.)",
        CHINESE: "\n（这条短信与账号变更有关。）",
    },
    "audit.event.sms": {ENGLISH: "SMS for {account}", CHINESE: "{account} 的短信"},
    "audit.event.sms_to": {
        ENGLISH: "SMS code for {account} → {target}",
        CHINESE: "{account} 的短信验证码 → {target}",
    },
    "audit.event.sms_wait": {
        ENGLISH: "waited for an SMS code: {account}",
        CHINESE: "等待短信验证码：{account}",
    },
    "audit.event.sms_relay": {
        ENGLISH: "SMS relay of {account}",
        CHINESE: "{account} 的短信转发",
    },
    "audit.outcome.delivered": {ENGLISH: " — sent", CHINESE: " — 已发送"},
    "audit.outcome.handed": {ENGLISH: " — kept code given", CHINESE: " — 已发出保留的验证码"},
    "audit.outcome.kept": {
        ENGLISH: " — nobody waiting: kept 5 min",
        CHINESE: " — 无人等待：保留 5 分钟",
    },
    "audit.outcome.undelivered": {
        ENGLISH: " — could not be sent: kept",
        CHINESE: " — 无法发送：已保留",
    },
    "audit.outcome.dropped": {ENGLISH: " — dropped, nobody asked", CHINESE: " — 无人领取，已丢弃"},
    "audit.outcome.no_code": {ENGLISH: " — no code in it", CHINESE: " — 没有验证码"},
    "audit.outcome.ambiguous": {
        ENGLISH: " — more than one possible code: not passed on",
        CHINESE: " — 有多个可能的验证码：未转发",
    },
    "audit.outcome.change_refused": {
        ENGLISH: " — a code for an account change: not passed on",
        CHINESE: " — 账号变更验证码：未转发",
    },
    "audit.outcome.started": {ENGLISH: " — waiting", CHINESE: " — 等待中"},
    "audit.outcome.relay_added": {ENGLISH: " — set up", CHINESE: " — 已设置"},
    "audit.outcome.relay_rotated": {
        ENGLISH: " — new address and secret",
        CHINESE: " — 已更换地址和密钥",
    },
    "audit.outcome.relay_removed": {ENGLISH: " — removed", CHINESE: " — 已删除"},
    "audit.outcome.changes_on": {
        ENGLISH: " — account change codes passed on",
        CHINESE: " — 转发账号变更验证码",
    },
    "audit.outcome.changes_off": {
        ENGLISH: " — account change codes not passed on",
        CHINESE: " — 不转发账号变更验证码",
    },
    "reason.no_relay": {ENGLISH: "no SMS relay", CHINESE: "没有设置短信转发"},
    "reason.needs_approval": {
        ENGLISH: "needs an admin's approval",
        CHINESE: "需要管理员批准",
    },
    "reason.someone_waiting": {
        ENGLISH: "someone else is waiting",
        CHINESE: "另一位成员正在等待",
    },
    "reason.no_credentials": {ENGLISH: "no secret given", CHINESE: "未提供密钥"},
    "reason.wrong_credentials": {ENGLISH: "wrong secret", CHINESE: "密钥错误"},
    "reason.stale_post": {
        ENGLISH: "its time is off by more than 5 minutes",
        CHINESE: "时间相差超过 5 分钟",
    },
    "reason.replayed": {
        ENGLISH: "a signature used before, with another body",
        CHINESE: "签名已被用于另一条内容",
    },
    "reason.unreadable_post": {
        ENGLISH: "a body that is no SMS (check the template)",
        CHINESE: "内容不是短信（请检查消息模板）",
    },
    # --- /lang: the language the bot speaks to a person, or to a whole group ---
    "lang.usage": {
        ENGLISH: "/lang zh — I reply to you in Chinese (中文)\n"
        "/lang en — in English\n"
        "/lang auto — in your Telegram app's language\n"
        "In a group, an admin's /lang sets what the bot says to the whole group (that it "
        "was approved, or not); replies to each person stay in their own language.",
        CHINESE: "/lang zh — 用中文回复你\n"
        "/lang en — 用英文（English）回复你\n"
        "/lang auto — 按你的 Telegram 应用语言回复\n"
        "在群组里，管理员发送 /lang 设置的是机器人对全群说话的语言（例如本群已开通或未开通）；"
        "回复个人时仍使用各自的语言。",
    },
    "lang.you_are": {
        ENGLISH: "I reply to you in {language}, as you chose.",
        CHINESE: "按你的选择，我用{language}回复你。",
    },
    "lang.you_auto": {
        ENGLISH: "I reply to you in your Telegram app's language.",
        CHINESE: "我按你的 Telegram 应用语言回复你。",
    },
    "lang.set": {
        ENGLISH: "Done: from now on I reply to you in {language}.",
        CHINESE: "好的，今后我用{language}回复你。",
    },
    "lang.unset": {
        ENGLISH: "Done: from now on I reply to you in your Telegram app's language.",
        CHINESE: "好的，今后我按你的 Telegram 应用语言回复你。",
    },
    "lang.group_is": {
        ENGLISH: "This group's language: {language}, set by an admin.",
        CHINESE: "本群语言：{language}（由管理员设置）。",
    },
    "lang.group_auto": {
        ENGLISH: "This group has no language set: what the bot says to the whole group is in "
        "the language of whoever made it speak.",
        CHINESE: "本群未设置语言：机器人对全群说的话，使用触发者的语言。",
    },
    "lang.group_set": {
        ENGLISH: "This group's language is now {language}: what the bot says to the whole group "
        "comes in it. Replies to each person stay in their own language.",
        CHINESE: "本群语言已设为{language}：机器人对全群说的话将使用该语言；回复个人时仍使用各自的语言。",
    },
    "lang.group_unset": {
        ENGLISH: "This group has no language set any more: what the bot says to the whole group "
        "is in the language of whoever made it speak.",
        CHINESE: "已取消本群的语言设置：机器人对全群说的话，将使用触发者的语言。",
    },
    "lang.group_admins_only": {
        ENGLISH: "Only an admin can set this group's language. To set yours, send /lang to me "
        "in a private chat.",
        CHINESE: "只有管理员可以设置本群语言。要设置你自己的语言，请私聊我发送 /lang。",
    },
    "lang.name.zh": {ENGLISH: "Chinese (中文)", CHINESE: "中文"},
    "lang.name.en": {ENGLISH: "English", CHINESE: "英文"},
    "lang.name.auto": {
        ENGLISH: "each speaker's own language",
        CHINESE: "触发者的语言",
    },
    "cmd.roster": {
        ENGLISH: "Admin: leaving this group ends access",
        CHINESE: "管理员：退出本群即失去权限",
    },
    # --- /add @name, known bots and long argument lists ---
    "members.username_seen": {
        ENGLISH: "{username} was id <code>{user_id}</code> when I last saw them, {days} days ago ({date}).",
        CHINESE: "我上次见到 {username} 是 {days} 天前（{date}），当时其 ID 为 <code>{user_id}</code>。",
    },
    "members.username_stale": {
        ENGLISH: "Usernames change hands: add this id only if it is still the person you mean.",
        CHINESE: "用户名可能已转给他人：请确认仍是你要添加的人，再添加此 ID。",
    },
    "members.add_stale_yes": {ENGLISH: "Add this id", CHINESE: "添加此 ID"},
    "members.add_stale_no": {ENGLISH: "Cancel", CHINESE: "取消"},
    "members.add_by_id_instead": {
        ENGLISH: "If it is, send /add with that id and the account names.",
        CHINESE: "如果确认无误，请发送 /add 加上该 ID 和账号名称。",
    },
    "members.too_many_accounts": {
        ENGLISH: "That is more than {max} account names. Name at most {max}, or none for all accounts.",
        CHINESE: "账号名称超过 {max} 个。最多写 {max} 个，不写则授权全部账号。",
    },
    # --- stored secrets that no longer open (bound to their code settings) ---
    "account.unreadable": {
        ENGLISH: "⚠️ The stored secret of <b>{name}</b> cannot be read: it was changed outside "
        "the bot. An admin has to re-add it: /secret remove {name}, then "
        "/secret add {name} SECRET.",
        CHINESE: "⚠️ <b>{name}</b> 保存的密钥无法读取：它在机器人之外被改动过。"
        "需要管理员重新添加：先 /secret remove {name}，再 /secret add {name} 密钥。",
    },
    "secret.list_unreadable": {
        ENGLISH: " ⚠️ <b>cannot be read</b>: changed outside the bot, re-add it",
        CHINESE: " ⚠️ <b>无法读取</b>：已在机器人之外被改动，请重新添加",
    },
    "reason.unreadable_secret": {
        ENGLISH: "its stored secret cannot be read",
        CHINESE: "保存的密钥无法读取",
    },
    # --- issue 7: the gate sees what is dispatched; secrets in odd shapes ---
    "secret.name_missing": {
        ENGLISH: "That looks like an authenticator secret with no account name, so I deleted "
        "it and added nothing. Send the name first: /secret add NAME SECRET (e.g. /secret add "
        "amazon-us SECRET). If the name looks like a group of the secret, put the secret in "
        'quotes: /secret add NAME "SECRET".',
        CHINESE: "这看起来是没有账号名称的身份验证器密钥，我已删除该消息，没有添加账号。"
        "请先写账号名称：/secret add 账号名称 密钥（例如 /secret add amazon-us 密钥）。"
        "如果账号名称看起来像密钥中的一组字符，请把密钥放在引号里："
        '/secret add 账号名称 "密钥"。',
    },
    # --- limits: strangers, floods and coalesced notices (issue 7) ---
    "limits.group_not_approved": {
        ENGLISH: "This group is not approved for codes: an admin of the team can allow it with "
        "/approve. Until then I stay quiet here.",
        CHINESE: "本群尚未开通验证码：团队管理员可发送 /approve 开通。在此之前我不会在本群回复。",
    },
    "limits.too_many_codes": {
        ENGLISH: "Too many codes in a short time. Try again in {seconds} s.",
        CHINESE: "短时间内请求验证码过多，请在 {seconds} 秒后再试。",
    },
    "reason.too_many_codes": {ENGLISH: "too many requests", CHINESE: "请求过于频繁"},
    "notify.digest": {
        ENGLISH: "🔔 Code requests of the last minute, not told one by one:\n{lines}",
        CHINESE: "🔔 最近一分钟内未逐条通知的验证码请求：\n{lines}",
    },
    "notify.digest_line": {
        ENGLISH: "• {outcome}{times}: {name}{username} (<code>{user_id}</code>), "
        "account {account}, {place}",
        CHINESE: "• {outcome}{times}：{name}{username}（<code>{user_id}</code>），"
        "账号 {account}，{place}",
    },
    "notify.digest_times": {ENGLISH: " ×{count}", CHINESE: " ×{count}"},
    "notify.digest_more": {ENGLISH: "…and {count} more", CHINESE: "……另有 {count} 次"},
    "audit.times": {ENGLISH: " (×{count})", CHINESE: "（×{count}）"},
    "audit.unknown_user": {
        ENGLISH: "I have not seen anyone with that username.",
        CHINESE: "找不到使用这个用户名的人。",
    },
    # --- issue 8: integrity (audit chain, secrets at start, /status, the clock) ---
    "chain.intact": {
        ENGLISH: "Audit chain intact: {rows} events, head #{head_id} <code>{head_hash}</code>.",
        CHINESE: "操作记录链完好：共 {rows} 条记录，最新一条为 #{head_id} <code>{head_hash}</code>。",
    },
    "chain.empty": {
        ENGLISH: "Audit chain intact: no chained events yet.",
        CHINESE: "操作记录链完好：还没有上链的记录。",
    },
    "chain.unchained": {
        ENGLISH: "{count} older events from before the chain existed are not covered by it.",
        CHINESE: "有 {count} 条旧记录早于操作记录链的启用，不在链中。",
    },
    "chain.broken.changed": {
        ENGLISH: "Audit chain BROKEN at event #{event_id}: it was changed after it was written.",
        CHINESE: "操作记录链已断开（记录 #{event_id}）：该记录写入后被改动过。",
    },
    "chain.broken.missing_before": {
        ENGLISH: "Audit chain BROKEN at event #{event_id}: an event before it was removed, "
        "or the one before it was changed.",
        CHINESE: "操作记录链已断开（记录 #{event_id}）：它之前的一条记录被删除，或前一条记录被改动过。",
    },
    "chain.broken.no_hash": {
        ENGLISH: "Audit chain BROKEN at event #{event_id}: it has no hash, so it was added "
        "behind the bot's back (or its hash was removed).",
        CHINESE: "操作记录链已断开（记录 #{event_id}）：该记录没有哈希值，"
        "说明它是绕过机器人写入的（或其哈希值被删除）。",
    },
    "chain.head_post": {
        ENGLISH: "🔗 Audit chain head at {time} UTC: event #{event_id}\n<code>{head_hash}</code>\n"
        "Keep this message: if the log is ever rewritten, it will no longer lead here.",
        CHINESE: "🔗 操作记录链的最新一条（{time} UTC）：记录 #{event_id}\n"
        "<code>{head_hash}</code>\n"
        "请保留此消息：如果日后操作记录被人改写，链就对不上这里了。",
    },
    "integrity.unreadable_at_start": {
        ENGLISH: "⚠️ At start, the stored secrets of these accounts could not be read "
        "(changed outside the bot): {names}. They give no codes; remove and re-add them. "
        "All other accounts work.",
        CHINESE: "⚠️ 启动检查时，以下账号保存的密钥无法读取（在机器人之外被改动过）：{names}。"
        "这些账号无法生成验证码，请删除后重新添加。其他账号正常使用。",
    },
    "clock.skewed": {
        ENGLISH: "⚠️ The server's clock is about {seconds} s off Telegram's. Codes depend on "
        "the time and may be refused by the sites: fix the server's clock (enable NTP).",
        CHINESE: "⚠️ 服务器时钟与 Telegram 相差约 {seconds} 秒。验证码依赖时间，"
        "可能会被网站拒绝：请校准服务器时钟（启用 NTP）。",
    },
    "cmd.status": {ENGLISH: "Admin: health of the bot", CHINESE: "管理员：机器人运行状态"},
    "status.text": {
        ENGLISH: "<b>teamotp {version}</b>\nUp for: {uptime}\nDatabase: {database}\n"
        "Accounts: {accounts} · members: {members} · approved groups: {groups}\n"
        "Codes: {lock}\nClock: {clock}\nLast error: {error}\n{chain}",
        CHINESE: "<b>teamotp {version}</b>\n已运行：{uptime}\n数据库：{database}\n"
        "账号：{accounts} · 成员：{members} · 已开通群组：{groups}\n"
        "验证码：{lock}\n时钟：{clock}\n最近错误：{error}\n{chain}",
    },
    "status.uptime_days": {ENGLISH: "{days}d {time}", CHINESE: "{days} 天 {time}"},
    "status.clock_unknown": {
        ENGLISH: "no updates seen yet",
        CHINESE: "尚未收到消息，无法比较",
    },
    "status.clock_ok": {
        ENGLISH: "{seconds} s off Telegram (fine)",
        CHINESE: "与 Telegram 相差 {seconds} 秒（正常）",
    },
    "status.clock_off": {
        ENGLISH: "⚠️ {seconds} s off Telegram: fix the server's clock",
        CHINESE: "⚠️ 与 Telegram 相差 {seconds} 秒：请校准服务器时钟",
    },
    "status.no_error": {ENGLISH: "none", CHINESE: "无"},
    "status.error": {
        ENGLISH: "{kind} at {time} UTC",
        CHINESE: "{kind}（{time} UTC）",
    },
    # --- issue 8: errors told to the owners ---
    "error.owner_alert": {
        ENGLISH: "⚠️ Something went wrong inside the bot: {kind} at {time}. The bot keeps "
        "running; the log says where. Further failures of this kind in the next 10 minutes "
        "are only logged.",
        CHINESE: "⚠️ 机器人内部出错：{kind}，时间 {time}。机器人仍在运行；具体位置见日志。"
        "接下来 10 分钟内同类错误只记录在日志中，不再通知。",
    },
    # --- Telegram faults: replies that could not be delivered (issue 8) ---
    "notify.undelivered": {
        ENGLISH: "⚠️ granted, but Telegram did not take the reply: the code was not delivered",
        CHINESE: "⚠️ 发送失败：Telegram 没有接收这条回复，验证码未送达",
    },
    # --- the team model: per-account policies and the freeze switch ---
    "cmd.policy": {
        ENGLISH: "Admin: an account's approval, delivery and /add policy",
        CHINESE: "管理员：账号的审批、发送方式和 /add 规则",
    },
    "cmd.lock": {
        ENGLISH: "Admin: stop every code at once",
        CHINESE: "管理员：立即停止发送所有验证码",
    },
    "cmd.unlock": {ENGLISH: "Admin: give codes again", CHINESE: "管理员：恢复发送验证码"},
    "policy.usage": {
        ENGLISH: "Usage:\n/policy NAME — show the account's policy\n"
        "/policy NAME approval none|admin — whether each code needs an admin's approval\n"
        "/policy NAME delivery here|private — where codes go: where asked, or always the "
        "requester's private chat\n"
        "/policy NAME members all|listed — whether a plain /add (no account names) "
        "includes this account",
        CHINESE: "用法：\n"
        "/policy 账号名称 — 查看账号的规则\n"
        "/policy 账号名称 approval none|admin — 每次获取验证码是否需要管理员批准\n"
        "/policy 账号名称 delivery here|private — 验证码发到哪里：请求的地方，"
        "或总是私聊发给请求人\n"
        "/policy 账号名称 members all|listed — 不写账号名称的 /add 是否包含此账号",
    },
    "policy.bad_value": {
        ENGLISH: "{setting} can be: {values}. /policy alone shows the usage.",
        CHINESE: "{setting} 可选：{values}。单独发送 /policy 查看用法。",
    },
    "policy.shown": {
        ENGLISH: "<b>{name}</b>\nApproval: {approval}\nDelivery: {delivery}\nPlain /add: {members}",
        CHINESE: "<b>{name}</b>\n"
        "审批：{approval}\n"
        "发送方式：{delivery}\n"
        "不写账号名称的 /add：{members}",
    },
    "policy.approval.none": {
        ENGLISH: "none (codes are given at once)",
        CHINESE: "无需审批（直接发送）",
    },
    "policy.approval.admin": {
        ENGLISH: "an admin approves each code request of a member",
        CHINESE: "成员的每次请求都需管理员批准",
    },
    "policy.delivery.here": {ENGLISH: "where it was asked for", CHINESE: "发到请求的地方"},
    "policy.delivery.private": {
        ENGLISH: "always in the requester's private chat",
        CHINESE: "总是私聊发给请求人",
    },
    "policy.members.all": {ENGLISH: "includes this account", CHINESE: "包含此账号"},
    "policy.members.listed": {
        ENGLISH: "leaves it out: only /add … NAME grants it",
        CHINESE: "不包含：只有 /add … 账号名称 才授权",
    },
    "accounts.needs_approval": {
        ENGLISH: " — needs an admin's approval",
        CHINESE: " — 需管理员批准",
    },
    "members.all_accounts_plus": {
        ENGLISH: "all accounts, and {accounts}",
        CHINESE: "全部账号，另加 {accounts}",
    },
    "code.locked": {
        ENGLISH: "🔒 The bot is locked: no codes until an admin sends /unlock "
        "(locked by {name} at {time}).",
        CHINESE: "🔒 机器人已锁定：管理员发送 /unlock 之前不发送验证码（由 {name} 于 {time} 锁定）。",
    },
    "reason.locked": {ENGLISH: "the bot is locked", CHINESE: "机器人已锁定"},
    "lock.done": {
        ENGLISH: "🔒 Locked. Nobody but owners gets a code until /unlock, also from old "
        "buttons. Every admin was told.",
        CHINESE: "🔒 已锁定。发送 /unlock 之前，除所有者外任何人都拿不到验证码（旧按钮也无效）。"
        "已通知所有管理员。",
    },
    "lock.already": {
        ENGLISH: "🔒 Already locked, by {name} at {time}. /unlock gives codes again.",
        CHINESE: "🔒 已经是锁定状态（由 {name} 于 {time} 锁定）。发送 /unlock 恢复。",
    },
    "unlock.done": {
        ENGLISH: "🔓 Unlocked: members get codes again. Every admin was told.",
        CHINESE: "🔓 已解锁：成员可以重新获取验证码。已通知所有管理员。",
    },
    "unlock.not_locked": {ENGLISH: "The bot is not locked.", CHINESE: "机器人未锁定。"},
    "notify.locked": {
        ENGLISH: "🔒 <b>The bot was locked</b>: nobody but owners gets a code until /unlock.\n"
        "By: {name}{username} (<code>{user_id}</code>)\nWhen: {time}",
        CHINESE: "🔒 <b>机器人已锁定</b>：发送 /unlock 之前，除所有者外任何人都拿不到验证码。\n"
        "操作人：{name}{username}（<code>{user_id}</code>）\n时间：{time}",
    },
    "notify.unlocked": {
        ENGLISH: "🔓 <b>The bot was unlocked</b>: members get codes again.\n"
        "By: {name}{username} (<code>{user_id}</code>)\nWhen: {time}",
        CHINESE: "🔓 <b>机器人已解锁</b>：成员可以重新获取验证码。\n"
        "操作人：{name}{username}（<code>{user_id}</code>）\n时间：{time}",
    },
    "status.locked": {
        ENGLISH: "🔒 locked by {name} at {time}",
        CHINESE: "🔒 已锁定（由 {name} 于 {time} 锁定）",
    },
    "status.unlocked": {ENGLISH: "given out", CHINESE: "正常发送"},
    "audit.event.account.policy": {
        ENGLISH: "set {setting} of {account} to {value}",
        CHINESE: "将 {account} 的{setting}设为“{value}”",
    },
    # The {setting} and {value} of that line: stored as typed in /policy, named in the
    # reader's words (English keeps the words typed).
    "audit.policy.approval": {ENGLISH: "approval", CHINESE: "审批"},
    "audit.policy.approval.none": {ENGLISH: "none", CHINESE: "无需审批"},
    "audit.policy.approval.admin": {ENGLISH: "admin", CHINESE: "需管理员批准"},
    "audit.policy.delivery": {ENGLISH: "delivery", CHINESE: "发送方式"},
    "audit.policy.delivery.here": {ENGLISH: "here", CHINESE: "发到请求的地方"},
    "audit.policy.delivery.private": {ENGLISH: "private", CHINESE: "总是私聊发给请求人"},
    "audit.policy.members": {ENGLISH: "members", CHINESE: " /add 规则"},
    "audit.policy.members.all": {ENGLISH: "all", CHINESE: "包含此账号"},
    "audit.policy.members.listed": {ENGLISH: "listed", CHINESE: "不包含此账号"},
    "audit.event.freeze.lock": {ENGLISH: "locked the bot", CHINESE: "锁定机器人"},
    "audit.event.freeze.unlock": {ENGLISH: "unlocked the bot", CHINESE: "解锁机器人"},
    # --- grants that end by themselves (`/add … for 8h`) ---
    "grants.bad_duration": {
        ENGLISH: "How long? Put <code>for</code> and a whole number of minutes, hours or days "
        "last: <code>for 30m</code>, <code>for 8h</code>, <code>for 3d</code> (from 1 minute "
        "to 90 days), e.g. <code>/add @alice amazon-us for 8h</code>. Nothing was changed.",
        CHINESE: "多长时间？请在最后写 <code>for</code> 加整数的分钟、小时或天数："
        "<code>for 30m</code>、<code>for 8h</code>、<code>for 3d</code>（1 分钟到 90 天），"
        "例如 <code>/add @alice amazon-us for 8h</code>。未做任何更改。",
    },
    "grants.until": {ENGLISH: "{accounts} until {time}", CHINESE: "{accounts}（至 {time}）"},
    "grants.until_in": {
        ENGLISH: "{accounts} until {time} (in {span})",
        CHINESE: "{accounts}（至 {time}，还剩 {span}）",
    },
    "grants.then": {ENGLISH: "{first}; after that {then}", CHINESE: "{first}；之后：{then}"},
    "span.minutes": {ENGLISH: "{minutes} min", CHINESE: "{minutes} 分钟"},
    "span.hours": {ENGLISH: "{hours} h", CHINESE: "{hours} 小时"},
    "span.hours_minutes": {
        ENGLISH: "{hours} h {minutes} min",
        CHINESE: "{hours} 小时 {minutes} 分钟",
    },
    "span.days": {ENGLISH: "{days} d", CHINESE: "{days} 天"},
    "span.days_hours": {ENGLISH: "{days} d {hours} h", CHINESE: "{days} 天 {hours} 小时"},
    "grants.longer": {
        ENGLISH: "⏳ That extends the access they had.",
        CHINESE: "⏳ 已延长其原有的访问期限。",
    },
    "grants.shorter": {
        ENGLISH: "⏳ That shortens the access they had: the latest /add counts.",
        CHINESE: "⏳ 已缩短其原有的访问期限：以最近一次 /add 为准。",
    },
    "grants.permanent": {
        ENGLISH: "♾ Their access no longer ends by itself.",
        CHINESE: "♾ 其访问权限不再自动到期。",
    },
    "grants.given": {
        ENGLISH: "🔑 You have access to {accounts}. Send /code here or in your team's group.",
        CHINESE: "🔑 你已获得访问权限：{accounts}。在这里或团队的群组里发送 /code 获取验证码。",
    },
    "grants.given_permanent": {
        ENGLISH: "♾ Your access to {accounts} no longer ends by itself.",
        CHINESE: "♾ 你对{accounts}的访问权限不再自动到期。",
    },
    "grants.ended": {
        ENGLISH: "⌛ Your access to {accounts} ended at {time}.",
        CHINESE: "⌛ 你对{accounts}的访问权限已于 {time} 到期。",
    },
    "grants.still_have": {
        ENGLISH: " You still have {accounts}.",
        CHINESE: "你仍可使用：{accounts}。",
    },
    "grants.ended_notice": {
        ENGLISH: "⌛ Access that ended by itself:\n{lines}",
        CHINESE: "⌛ 已自动到期的访问权限：\n{lines}",
    },
    "grants.ended_line": {
        ENGLISH: "• {name}{username} (<code>{user_id}</code>): {accounts}, ended at {time}{rest}",
        CHINESE: "• {name}{username}（<code>{user_id}</code>）：{accounts}，{time} 到期{rest}",
    },
    "grants.ended_removed": {ENGLISH: " — no longer a member", CHINESE: "，已不再是成员"},
    "grants.ended_left": {ENGLISH: " — still has {accounts}", CHINESE: "，仍可使用：{accounts}"},
    "grants.ended_more": {
        ENGLISH: "…and {count} more (see /audit)",
        CHINESE: "……另有 {count} 人（见 /audit）",
    },
    "audit.event.member.add_until": {
        ENGLISH: "added {target} ({accounts}) until {until}",
        CHINESE: "添加成员 {target}（{accounts}），至 {until}",
    },
    "audit.event.member.expire": {
        ENGLISH: "access of {target} to {accounts} ended at {until}",
        CHINESE: "{target} 对{accounts}的访问权限已于 {until} 到期",
    },
    "audit.outcome.removed": {ENGLISH: " — no longer a member", CHINESE: " — 已不再是成员"},
    # --- the roster, and people who leave (team model) ---
    "roster.on": {
        ENGLISH: "📋 This group is now the team roster: whoever leaves it or is removed from it "
        "loses their access at once, and the admins are told. Joining it grants nothing.",
        CHINESE: "📋 本群现在是团队名册：任何人退出或被移出本群，会立即失去权限，并通知管理员。"
        "加入本群不会获得任何权限。",
    },
    "roster.already_on": {
        ENGLISH: "This group is already the team roster.",
        CHINESE: "本群已经是团队名册。",
    },
    "roster.off": {
        ENGLISH: "This group is no longer the team roster: leaving it changes nobody's access.",
        CHINESE: "本群已不再是团队名册：退出本群不再影响任何人的权限。",
    },
    "roster.already_off": {
        ENGLISH: "This group is not the team roster.",
        CHINESE: "本群不是团队名册。",
    },
    "roster.state_on": {
        ENGLISH: "This group is the team roster: whoever leaves it loses their access.",
        CHINESE: "本群是团队名册：退出本群的人会失去权限。",
    },
    "roster.state_off": {
        ENGLISH: "This group is not the team roster: leaving it changes nobody's access.",
        CHINESE: "本群不是团队名册：退出本群不影响任何人的权限。",
    },
    "roster.state_not_approved": {
        ENGLISH: "This group is not approved, so it cannot be the team roster.",
        CHINESE: "本群尚未开通，因此不能作为团队名册。",
    },
    "roster.usage": {
        ENGLISH: "/roster on — whoever leaves this group loses their access (I must be an "
        "administrator here)\n/roster off — leaving it changes nothing",
        CHINESE: "/roster on — 退出本群的人会失去权限（我必须是本群管理员）\n"
        "/roster off — 退出本群不再有影响",
    },
    "roster.not_approved": {
        ENGLISH: "This group is not approved, so it cannot be the team roster. Send /approve "
        "first, then /roster on.",
        CHINESE: "本群尚未开通，因此不能作为团队名册。请先发送 /approve，再发送 /roster on。",
    },
    "roster.bot_not_admin": {
        ENGLISH: "I am not an administrator of this group, so Telegram does not tell me when "
        "someone leaves it. Make me an administrator, then send /roster on again.",
        CHINESE: "我不是本群的管理员，Telegram 不会告诉我谁退出了本群。"
        "请把我设为管理员，然后再发送 /roster on。",
    },
    "roster.cannot_check": {
        ENGLISH: "I could not check with Telegram whether I am an administrator here, so "
        "nothing changed. Try /roster on again in a moment.",
        CHINESE: "我无法向 Telegram 确认自己是否是本群管理员，因此没有做任何更改。请稍后再发送 /roster on。",
    },
    "lost.revoked": {
        ENGLISH: "🚫 Access ended: {name}{username} (<code>{user_id}</code>) was removed from "
        "the team by {by}.",
        CHINESE: "🚫 权限已结束：{name}{username}（<code>{user_id}</code>）已被 {by} 移出团队。",
    },
    "lost.demoted": {
        ENGLISH: "⬇️ {name}{username} (<code>{user_id}</code>) is no longer an admin "
        "(demoted by {by}); they are still a member and get codes.",
        CHINESE: "⬇️ {name}{username}（<code>{user_id}</code>）已不再是管理员（由 {by} 撤销），"
        "仍是成员，可以获取验证码。",
    },
    "lost.left": {
        ENGLISH: "🚪 {name}{username} (<code>{user_id}</code>) left the roster group “{group}”: "
        "their access ended at once.",
        CHINESE: "🚪 {name}{username}（<code>{user_id}</code>）退出了名册群组“{group}”："
        "其权限已立即结束。",
    },
    "lost.removed": {
        ENGLISH: "🚪 {name}{username} (<code>{user_id}</code>) was removed from the roster group "
        "“{group}”{by}: their access ended at once.",
        CHINESE: "🚪 {name}{username}（<code>{user_id}</code>）被{by}移出了名册群组“{group}”："
        "其权限已立即结束。",
    },
    "lost.removed_by": {ENGLISH: " by {by}", CHINESE: " {by} "},
    "lost.owner_left": {
        ENGLISH: "🚪 {name}{username} (<code>{user_id}</code>), an owner, is no longer in the "
        "roster group “{group}”. Owners keep their access: leaving a group does not remove "
        "an owner (owners set in TEAMOTP_OWNER_IDS are removed only there, on the server).",
        CHINESE: "🚪 所有者 {name}{username}（<code>{user_id}</code>）已不在名册群组“{group}”中。"
        "所有者保留权限："
        "退出群组不会移除所有者（TEAMOTP_OWNER_IDS 中的所有者只能在服务器上移除）。",
    },
    "lost.when": {ENGLISH: "When: {time}", CHINESE: "时间：{time}"},
    "seen.none": {
        ENGLISH: "They only ever saw codes, never a seed: nothing needs re-keying.",
        CHINESE: "此人只见过验证码，从未见过密钥：无需重新设置任何账号。",
    },
    "seen.some": {
        ENGLISH: "⚠️ They have seen the seeds of these accounts and may still have them:\n"
        "{lines}\nRe-key each one at the site (set up its authenticator anew) with "
        "/secret rotate NAME, so the seed they know stops working.",
        CHINESE: "⚠️ 此人见过以下账号的密钥，可能仍保留着：\n"
        "{lines}\n"
        "请用 /secret rotate 账号名称 在网站上逐个重新设置身份验证器，使其知道的密钥失效。",
    },
    "seen.line": {
        ENGLISH: "• <b>{account}</b> ({hows}): /secret rotate {account}",
        CHINESE: "• <b>{account}</b>（{hows}）：/secret rotate {account}",
    },
    "seen.how.added": {ENGLISH: "added it", CHINESE: "由其添加"},
    "seen.how.imported": {ENGLISH: "imported it", CHINESE: "由其导入"},
    "seen.how.exported": {ENGLISH: "received an export", CHINESE: "收到过导出"},
    "seen.how.rotated": {ENGLISH: "set its new seed", CHINESE: "由其设置了新密钥"},
    "seen.more": {
        ENGLISH: "• …and {count} more accounts",
        CHINESE: "• ……另有 {count} 个账号",
    },
    "audit.event.chat.roster_on": {
        ENGLISH: "made group {chat} the team roster",
        CHINESE: "将群组 {chat} 设为团队名册",
    },
    "audit.event.chat.roster_off": {
        ENGLISH: "stopped group {chat} being the team roster",
        CHINESE: "取消群组 {chat} 的团队名册身份",
    },
    "audit.event.member.left_roster": {
        ENGLISH: "left roster group {chat}",
        CHINESE: "退出名册群组 {chat}",
    },
    "audit.event.member.left_roster_removed": {
        ENGLISH: "removed {target} from roster group {chat}",
        CHINESE: "将 {target} 移出名册群组 {chat}",
    },
    "roster.unwatched": {
        ENGLISH: "⚠️ I was made a plain member of the roster group “{group}”{by}, no longer an "
        "administrator. Telegram may no longer tell me when someone leaves it (a group that "
        "hides join and leave messages tells me nothing), so their access would not end. "
        "Make me an administrator there again.",
        CHINESE: "⚠️ 我在名册群组“{group}”中被{by}取消了管理员身份，现在只是普通成员。"
        "Telegram 可能不再告诉我谁退出了该群组（隐藏进出群消息的群组完全不会告诉我），"
        "这样退出者的权限将不会结束。请重新把我设为该群组的管理员。",
    },
    "audit.event.chat.bot_demoted": {
        ENGLISH: "made the bot a plain member of roster group {chat}",
        CHINESE: "取消机器人在名册群组 {chat} 的管理员身份",
    },
    "audit.outcome.access_ended": {ENGLISH: " — access ended", CHINESE: " — 权限已结束"},
    "audit.outcome.kept_owner": {
        ENGLISH: " — an owner: access kept",
        CHINESE: " — 所有者：保留权限",
    },
    # --- re-keying an account (/secret rotate) and recovery custody notes (/secret note) ---
    "rotate.steps": {
        ENGLISH: "🔁 <b>A new authenticator for {name}</b>\n"
        "The old key keeps giving codes until you confirm here, so nobody is locked out.\n\n"
        "1. At the site, add a new authenticator app. In Amazon Seller Central: Settings → "
        "Login Settings → Advanced Security Settings → Edit, then add a new authenticator app. "
        "Elsewhere: add a new authenticator in the site's security settings.\n"
        "2. Within {minutes} minutes, send me the QR code the site shows (a photo or "
        "screenshot) or the key it shows with it. I delete your message as soon as I read it.\n"
        "3. Enter the code I then show at the site.\n"
        "4. Once the site has taken it, press “The site took it” here. Only then remove the "
        "old authenticator at the site.\n"
        "/cancel stops; the old key stays.",
        CHINESE: "🔁 <b>为 {name} 更换身份验证器</b>\n"
        "你在这里确认之前，旧密钥照常生成验证码，大家不会因此登录不了。\n\n"
        "1. 在网站上添加一个新的身份验证器应用。亚马逊卖家中心：设置 → 登录设置 → "
        "高级安全设置 → 编辑，然后添加新的身份验证器应用。其他网站：在网站的安全设置中"
        "添加新的身份验证器。\n"
        "2. 在 {minutes} 分钟内把网站显示的二维码（照片或截图）或同时显示的密钥发给我。"
        "我读取后会立即删除你的消息。\n"
        "3. 在网站上输入我随后显示的验证码。\n"
        "4. 网站接受后，在这里按“网站已接受”。然后再到网站上删除旧的身份验证器。\n"
        "发送 /cancel 可取消，旧密钥保持不变。",
    },
    "rotate.name_missing": {
        ENGLISH: "That looks like a key with no account name, so I deleted it and changed "
        "nothing. Send: /secret rotate NAME, e.g. /secret rotate amazon-us, then the key.",
        CHINESE: "这看起来是没有账号名称的密钥，我已删除该消息，没有做任何更改。请发送："
        "/secret rotate 账号名称，例如 /secret rotate amazon-us，然后再发送密钥。",
    },
    "rotate.waiting": {
        ENGLISH: "⏳ A new key for <b>{name}</b> is waiting for confirmation (until {until}). "
        "Its code once more:",
        CHINESE: "⏳ <b>{name}</b> 的新密钥正在等待确认（截止 {until}）。再次显示新密钥的验证码：",
    },
    "rotate.taken": {
        ENGLISH: "🔁 I took the new key for <b>{name}</b> and deleted your message with it. "
        "Until you confirm, /code still gives the <b>old</b> key's codes.\n"
        "Enter this code of the <b>new</b> key at the site's check:",
        CHINESE: "🔁 已收到 <b>{name}</b> 的新密钥，并删除了你发送的消息。"
        "在你确认之前，/code 仍然给出<b>旧</b>密钥的验证码。\n"
        "请在网站的验证步骤中输入这个<b>新</b>密钥的验证码：",
    },
    "rotate.code_label": {ENGLISH: "{name} · NEW key", CHINESE: "{name} · 新密钥"},
    "rotate.confirm": {
        ENGLISH: "Did the site take the code? Then press ✅ to replace the old key of "
        "<b>{name}</b>, and after that remove the old authenticator at the site. A code "
        "lasts seconds: “New code” shows the current one. I wait until {until}; after that "
        "the old key stays.",
        CHINESE: "网站接受验证码了吗？接受了就按 ✅ 用新密钥替换 <b>{name}</b> 的旧密钥，"
        "然后再到网站上删除旧的身份验证器。验证码只有几十秒有效：按“新验证码”显示当前的验证码。"
        "我会等到 {until}，过后保留旧密钥。",
    },
    "rotate.confirm_yes": {
        ENGLISH: "✅ The site took it: replace the old key",
        CHINESE: "✅ 网站已接受：替换旧密钥",
    },
    "rotate.new_code": {ENGLISH: "🔢 New code", CHINESE: "🔢 新验证码"},
    "rotate.confirm_no": {ENGLISH: "Cancel: keep the old key", CHINESE: "取消：保留旧密钥"},
    "rotate.done": {
        ENGLISH: "✅ <b>{name}</b> now uses the new key: /code gives its codes from now on. "
        "Now remove the old authenticator at the site (Seller Central: Advanced Security "
        "Settings). Every admin was told.",
        CHINESE: "✅ <b>{name}</b> 现在使用新密钥：从现在起 /code 给出新密钥的验证码。"
        "现在请到网站上删除旧的身份验证器（卖家中心：高级安全设置）。已通知所有管理员。",
    },
    "rotate.cancelled": {
        ENGLISH: "Cancelled: <b>{name}</b> keeps its old key, and /code gives its codes. If the "
        "site took the new key already, remove that new authenticator at the site.",
        CHINESE: "已取消：<b>{name}</b> 保留旧密钥，/code 继续给出旧密钥的验证码。"
        "如果网站已经接受了新密钥，请到网站上删除那个新的身份验证器。",
    },
    "rotate.cancelled_by_command": {
        ENGLISH: "Cancelled the new key of {names}: the old key stays. If a site took the new "
        "key already, remove that new authenticator at the site.",
        CHINESE: "已取消 {names} 的新密钥：旧密钥保持不变。如果网站已经接受了新密钥，"
        "请到网站上删除那个新的身份验证器。",
    },
    "rotate.same_key": {
        ENGLISH: "That is the key <b>{name}</b> already has. Send the new key the site shows "
        "once you add a new authenticator app. Nothing changed.",
        CHINESE: "这就是 <b>{name}</b> 现有的密钥。请在网站上添加新的身份验证器应用后，"
        "发送网站显示的新密钥。没有做任何更改。",
    },
    "rotate.held_by": {
        ENGLISH: "That key is already stored as “{name}”. Nothing changed.",
        CHINESE: "这个密钥已经保存为“{name}”。没有做任何更改。",
    },
    "rotate.already_pending": {
        ENGLISH: "A new key for <b>{name}</b> is already waiting for confirmation. Send "
        "/secret rotate {name} to see it, and confirm or cancel it before you start another.",
        CHINESE: "<b>{name}</b> 已有一个新密钥在等待确认。发送 /secret rotate {name} 查看，"
        "先确认或取消它，再开始新的更换。",
    },
    "rotate.gone": {
        ENGLISH: "This change of key no longer waits: it was confirmed, cancelled or ran out. "
        "/secret rotate NAME shows any change waiting now.",
        CHINESE: "这次密钥更换已不在等待：已确认、已取消或已过期。"
        "发送 /secret rotate 账号名称 查看现在等待中的更换。",
    },
    "rotate.unreadable": {
        ENGLISH: "The new key waiting for {name} cannot be read (changed outside the bot). "
        "Start again: /secret rotate {name}.",
        CHINESE: "{name} 等待中的新密钥无法读取（在机器人之外被改动过）。"
        "请重新开始：/secret rotate {name}。",
    },
    "rotate.not_totp": {
        ENGLISH: "I found no time-based (TOTP) authenticator key in that. Send the QR code the "
        "site shows, or its key. Nothing changed.",
        CHINESE: "里面没有找到按时间自动更新的身份验证器密钥（TOTP）。请发送网站显示的二维码或密钥。"
        "没有做任何更改。",
    },
    "rotate.one_key": {
        ENGLISH: "That holds {count} authenticator keys; a change of key takes exactly one. "
        "Send the site's new QR code on its own. Nothing changed.",
        CHINESE: "里面有 {count} 个身份验证器密钥；更换密钥只能使用一个。"
        "请单独发送网站的新二维码。没有做任何更改。",
    },
    "secret.list_rotating": {
        ENGLISH: "   ⏳ a new key waits for confirmation (/secret rotate)",
        CHINESE: "   ⏳ 有新密钥等待确认（/secret rotate）",
    },
    "secret.list_note": {ENGLISH: "   📝 {note}", CHINESE: "   📝 备注：{note}"},
    "secret.list_note_unreadable": {
        ENGLISH: "   📝 ⚠️ the recovery note cannot be read (changed outside the bot): "
        "write it again",
        CHINESE: "   📝 ⚠️ 恢复备注无法读取（在机器人之外被改动过）：请重新填写",
    },
    "notify.rotated": {
        ENGLISH: "🔁 Key replaced: <b>{account}</b>\n"
        "By: {name}{username} (<code>{user_id}</code>)\nWhen: {time}\n"
        "Codes now come from the new key.",
        CHINESE: "🔁 密钥已更换：<b>{account}</b>\n"
        "操作人：{name}{username}（<code>{user_id}</code>）\n时间：{time}\n"
        "验证码现在来自新密钥。",
    },
    "notify.rotation_expired": {
        ENGLISH: "⏳ The new key for <b>{account}</b> was not confirmed within an hour, so I "
        "kept the old key: /code gives its codes. If the site took the new key, remove that "
        "authenticator at the site, or start again: /secret rotate {account}.",
        CHINESE: "⏳ <b>{account}</b> 的新密钥一小时内没有确认，我保留了旧密钥：/code "
        "继续给出旧密钥的验证码。如果网站已经接受了新密钥，请到网站上删除那个身份验证器，"
        "或重新开始：/secret rotate {account}。",
    },
    "note.saved": {
        ENGLISH: "📝 Saved the recovery note of <b>{name}</b>, encrypted, and deleted your "
        "message. /secret list shows it to admins.",
        CHINESE: "📝 已加密保存 <b>{name}</b> 的恢复备注，并删除了你的消息。"
        "/secret list 会向管理员显示。",
    },
    "note.removed": {
        ENGLISH: "Removed the recovery note of <b>{name}</b>.",
        CHINESE: "已删除 <b>{name}</b> 的恢复备注。",
    },
    "note.not_deleted": {
        ENGLISH: "⚠️ I could not delete your message: delete it yourself.",
        CHINESE: "⚠️ 我无法删除你的消息：请自行删除。",
    },
    "note.show": {
        ENGLISH: "📝 Recovery note of <b>{name}</b>:\n{note}",
        CHINESE: "📝 <b>{name}</b> 的恢复备注：\n{note}",
    },
    "note.none": {
        ENGLISH: "<b>{name}</b> has no recovery note. Add one: /secret note {name} TEXT "
        "(who holds the backup phone, which number, where the recovery steps are).",
        CHINESE: "<b>{name}</b> 还没有恢复备注。添加：/secret note {name} 备注"
        "（备用手机在谁手里、号码、恢复步骤放在哪里）。",
    },
    "note.unreadable": {
        ENGLISH: "⚠️ The recovery note of <b>{name}</b> cannot be read (changed outside the "
        "bot). Write it again: /secret note {name} TEXT.",
        CHINESE: "⚠️ <b>{name}</b> 的恢复备注无法读取（在机器人之外被改动过）。"
        "请重新填写：/secret note {name} 备注。",
    },
    "note.too_long": {
        ENGLISH: "That note has {length} characters; at most {max} fit. Keep it short: who holds "
        "the backup phone, which number, where the recovery steps are. Nothing was saved.",
        CHINESE: "这条备注有 {length} 个字符，最多 {max} 个。请写简短：备用手机在谁手里、号码、"
        "恢复步骤放在哪里。没有保存。",
    },
    "note.empty": {
        ENGLISH: "The note is empty. Send /secret note NAME TEXT, or /secret note NAME - to "
        "remove it.",
        CHINESE: "备注为空。请发送 /secret note 账号名称 备注，"
        "或发送 /secret note 账号名称 - 删除备注。",
    },
    "note.holds_secret": {
        ENGLISH: "That note looks like it holds an authenticator secret. Notes are shown in "
        "/secret list: keep secrets out of them. Nothing was saved.",
        CHINESE: "这条备注看起来包含身份验证器密钥。备注会显示在 /secret list 中，"
        "请不要在备注里写密钥。没有保存。",
    },
    "audit.event.account.rotate_start": {
        ENGLISH: "took a new key for account {account} (not yet in use)",
        CHINESE: "为账号 {account} 提交新密钥（尚未启用）",
    },
    "audit.event.account.rotate": {
        ENGLISH: "replaced the key of account {account}",
        CHINESE: "更换账号 {account} 的密钥",
    },
    "audit.event.account.rotate_cancel": {
        ENGLISH: "dropped the new key of account {account}, kept the old one",
        CHINESE: "放弃账号 {account} 的新密钥，保留旧密钥",
    },
    "audit.outcome.expired": {
        ENGLISH: " — not confirmed within an hour",
        CHINESE: " — 一小时内未确认",
    },
    "audit.event.account.note": {
        ENGLISH: "changed the recovery note of account {account}",
        CHINESE: "修改账号 {account} 的恢复备注",
    },
    "audit.outcome.note_removed": {ENGLISH: " — removed", CHINESE: " — 已删除"},
    # --- the team model: codes delivered in the requester's private chat ---
    "deliver.sent_privately": {
        ENGLISH: "📬 Sent to you privately, {name}.",
        CHINESE: "📬 {name}，验证码已私聊发给你。",
    },
    "deliver.start_first": {
        ENGLISH: "📬 {name}, codes of <b>{account}</b> are sent only in a private chat, and "
        "I cannot write to you there yet. Press the button below, then <b>Start</b>: your "
        "code arrives there. The button works for {minutes} minutes.",
        CHINESE: "📬 {name}，<b>{account}</b> 的验证码只通过私聊发送，但我还不能私聊你。"
        "请点下面的按钮，再点<b>开始</b>（Start），验证码就会发到私聊。按钮 {minutes} 分钟内有效。",
    },
    "deliver.open_chat": {
        ENGLISH: "Open a private chat with me",
        CHINESE: "打开与我的私聊",
    },
    "deliver.link_expired": {
        ENGLISH: "This link has expired: it works for {minutes} minutes. Send /code to ask again.",
        CHINESE: "此链接已过期（{minutes} 分钟内有效）。请重新发送 /code 获取验证码。",
    },
    "deliver.link_used": {
        ENGLISH: "This link no longer works: it was used already, or a newer request "
        "replaced it. Send /code to ask again.",
        CHINESE: "此链接已失效：已经用过，或已被更新的请求取代。请重新发送 /code 获取验证码。",
    },
    "deliver.link_not_yours": {
        ENGLISH: "This link was made for someone else: only the person who asked can use it. "
        "Send /code to ask for your own code.",
        CHINESE: "此链接是给别人的：只有发出请求的人才能使用。请发送 /code 获取你自己的验证码。",
    },
    "notify.then_private": {
        ENGLISH: "{place} → private chat",
        CHINESE: "{place} → 私聊",
    },
    "reason.link_not_yours": {ENGLISH: "someone else's link", CHINESE: "使用了别人的链接"},
    "audit.event.code.link": {
        ENGLISH: "took the code of {account} from a private-chat link",
        CHINESE: "通过私聊链接领取验证码：{account}",
    },
    # --- the team model: approval per account, with a reason ---
    "approval.ask_private": {
        ENGLISH: "🔐 <b>{account}</b> needs an admin's approval. Why do you need the code? "
        "Send the reason in one line (at most {limit} characters), or /cancel.\n"
        "Next time you can give it at once: <code>/code {account} reason</code>",
        CHINESE: "🔐 <b>{account}</b> 需要管理员批准。你为什么需要验证码？"
        "请用一行文字发送原因（最多 {limit} 个字符），或发送 /cancel 取消。\n"
        "下次可以直接写上原因：<code>/code {account} 原因</code>",
    },
    "approval.ask_group": {
        ENGLISH: "🔐 {who}, <b>{account}</b> needs an admin's approval. Why do you need the "
        "code? Reply to this message with the reason in one line (at most {limit} characters).",
        CHINESE: "🔐 {who}，<b>{account}</b> 需要管理员批准。你为什么需要验证码？"
        "请回复这条消息，用一行文字写明原因（最多 {limit} 个字符）。",
    },
    "approval.reason_empty": {
        ENGLISH: "The reason is empty. Write in one line why you need the code.",
        CHINESE: "原因不能为空。请用一行文字写明你为什么需要验证码。",
    },
    "approval.reason_too_long": {
        ENGLISH: "That reason has {length} characters; at most {limit}, in one line. "
        "Send a shorter one.",
        CHINESE: "原因有 {length} 个字符，最多 {limit} 个，且只写一行。请发送更短的原因。",
    },
    "approval.reason_secret": {
        ENGLISH: "That reason looks like an authenticator secret, so it was not kept. "
        "Treat that secret as exposed, and send a reason without it.",
        CHINESE: "这个原因看起来像身份验证器密钥，因此没有保存。请把这个密钥视为已泄露，"
        "并发送不含密钥的原因。",
    },
    "approval.held_here": {
        ENGLISH: "⏳ Asked the admins for the <b>{account}</b> code. You get it here as soon as "
        "one approves (the request expires in {minutes} minutes).",
        CHINESE: "⏳ 已请管理员批准 <b>{account}</b> 的验证码。管理员批准后验证码会发到这里"
        "（请求 {minutes} 分钟后失效）。",
    },
    "approval.held_private": {
        ENGLISH: "⏳ Asked the admins for the <b>{account}</b> code. You get it in your private "
        "chat with me as soon as one approves (the request expires in {minutes} minutes).",
        CHINESE: "⏳ 已请管理员批准 <b>{account}</b> 的验证码。管理员批准后验证码会私聊发给你"
        "（请求 {minutes} 分钟后失效）。",
    },
    "approval.nobody_asked": {
        ENGLISH: "⚠️ No admin could be asked: none has notifications on and a chat with me. "
        "The request stands for {minutes} minutes; ask an admin to open a chat with me.",
        CHINESE: "⚠️ 无法通知任何管理员：没有管理员开启通知并与我私聊过。"
        "请求在 {minutes} 分钟内有效；请让管理员先私聊我。",
    },
    "approval.already_waiting": {
        ENGLISH: "⏳ Your request for the <b>{account}</b> code is already with the admins "
        "(until {time}); you get the code as soon as one approves.",
        CHINESE: "⏳ 你获取 <b>{account}</b> 验证码的请求已在等待管理员批准（有效至 {time}），"
        "批准后就会发送验证码。",
    },
    "approval.request": {
        ENGLISH: "🔐 <b>Code request waiting for approval</b>\n"
        "Who: {name}{username} (<code>{user_id}</code>)\n"
        "Account: {account}\nWhere: {place}\nReason: {reason}\nExpires: {time}",
        CHINESE: "🔐 <b>验证码请求待批准</b>\n"
        "请求人：{name}{username}（<code>{user_id}</code>）\n"
        "账号：{account}\n"
        "来源：{place}\n"
        "原因：{reason}\n"
        "失效时间：{time}",
    },
    "approval.approve": {ENGLISH: "✅ Approve", CHINESE: "✅ 批准"},
    "approval.approve_for": {
        ENGLISH: "✅ Approve for {hours} h",
        CHINESE: "✅ 批准 {hours} 小时",
    },
    "approval.deny": {ENGLISH: "⛔ Deny", CHINESE: "⛔ 拒绝"},
    "approval.decided_approved": {
        ENGLISH: "✅ Approved by {name}.",
        CHINESE: "✅ 已由 {name} 批准。",
    },
    "approval.decided_approved_for": {
        ENGLISH: "✅ Approved by {name}, with the same person's requests for this account "
        "for {hours} h.",
        CHINESE: "✅ 已由 {name} 批准，此人 {hours} 小时内对该账号的请求无需再批准。",
    },
    "approval.decided_denied": {ENGLISH: "⛔ Denied by {name}.", CHINESE: "⛔ 已由 {name} 拒绝。"},
    "approval.decided_expired": {
        ENGLISH: "⌛ Expired: nobody decided within {minutes} minutes.",
        CHINESE: "⌛ 已失效：{minutes} 分钟内无人处理。",
    },
    "approval.decided_undelivered": {
        ENGLISH: "⚠️ The code was not given: {reason}.",
        CHINESE: "⚠️ 验证码未发送：{reason}。",
    },
    "approval.pressed_approved": {
        ENGLISH: "Approved: {name} gets the code.",
        CHINESE: "已批准：验证码将发给 {name}。",
    },
    "approval.pressed_undelivered": {
        ENGLISH: "Approved, but {name} cannot be given the code now: {reason}.",
        CHINESE: "已批准，但现在无法把验证码发给 {name}：{reason}。",
    },
    "approval.pressed_denied": {
        ENGLISH: "Denied: {name} is told.",
        CHINESE: "已拒绝，已告知 {name}。",
    },
    "approval.already_approved": {
        ENGLISH: "Already approved by {name}.",
        CHINESE: "已由 {name} 批准过了。",
    },
    "approval.already_denied": {
        ENGLISH: "Already denied by {name}.",
        CHINESE: "已由 {name} 拒绝过了。",
    },
    "approval.already_expired": {
        ENGLISH: "This request has expired: nobody decided it in time.",
        CHINESE: "此请求已失效：没有人及时处理。",
    },
    "approval.gone": {
        ENGLISH: "This request no longer exists (its account was removed).",
        CHINESE: "此请求已不存在（对应账号已删除）。",
    },
    "approval.denied": {
        ENGLISH: "⛔ {name} denied your request for the <b>{account}</b> code.",
        CHINESE: "⛔ {name} 拒绝了你获取 <b>{account}</b> 验证码的请求。",
    },
    "approval.expired": {
        ENGLISH: "⌛ No admin answered your request for the <b>{account}</b> code within "
        "{minutes} minutes. Ask again if you still need it.",
        CHINESE: "⌛ {minutes} 分钟内没有管理员处理你获取 <b>{account}</b> 验证码的请求。"
        "如仍需要，请重新申请。",
    },
    "code.secret_in_request": {
        ENGLISH: "That request holds what looks like an authenticator secret, so nothing of it "
        "was kept. Treat that secret as exposed. /code NAME reason takes a reason without it.",
        CHINESE: "这个请求里有看起来像身份验证器密钥的内容，因此没有保存任何内容。"
        "请把这个密钥视为已泄露。请重新发送 /code 账号名称 原因，原因里不要包含密钥。",
    },
    "reason.secret_in_request": {
        ENGLISH: "a secret in the request",
        CHINESE: "请求中含有密钥",
    },
    "reason.refused_by_admin": {ENGLISH: "refused by an admin", CHINESE: "被管理员拒绝"},
    "reason.request_expired": {
        ENGLISH: "no admin answered in time",
        CHINESE: "管理员未及时处理",
    },
    "audit.event.code.held": {
        ENGLISH: "asked for a code: {account}, for the reason “{reason}”",
        CHINESE: "请求验证码：{account}，原因：“{reason}”",
    },
    "audit.outcome.held": {
        ENGLISH: " — waiting for an admin's approval",
        CHINESE: " — 等待管理员批准",
    },
    "audit.event.code_standing": {
        ENGLISH: "asked for a code: {account} (within an approval for the hour)",
        CHINESE: "请求验证码：{account}（在一小时批准期内）",
    },
    "audit.event.code.approved": {
        ENGLISH: "approved the code request of {target} for {account}",
        CHINESE: "批准 {target} 获取 {account} 验证码的请求",
    },
    "audit.event.code.approved_for": {
        ENGLISH: "approved the code request of {target} for {account}, and theirs for {hours} h",
        CHINESE: "批准 {target} 获取 {account} 验证码的请求，并在 {hours} 小时内免批准",
    },
    "audit.event.code.denied": {
        ENGLISH: "denied the code request of {target} for {account}",
        CHINESE: "拒绝 {target} 获取 {account} 验证码的请求",
    },
    "audit.event.code.expired": {
        ENGLISH: "the code request of {target} for {account} expired unanswered",
        CHINESE: "{target} 获取 {account} 验证码的请求无人处理，已失效",
    },
    # --- the server's command line: why it stops, its settings, --help ---
    "cli.failed": {
        ENGLISH: "teamotp: {reason}",
        CHINESE: "teamotp：{reason}",
    },
    # A line the store logged while a command ran, printed as the command's own.
    "cli.logged": {ENGLISH: "teamotp: {message}", CHINESE: "teamotp：{message}"},
    "cli.logged_warning": {
        ENGLISH: "teamotp: warning: {message}",
        CHINESE: "teamotp：注意：{message}",
    },
    "key.created": {
        ENGLISH: "Created a new master key file at {path}. Keep a copy somewhere other than "
        "this server: without it the stored secrets cannot be read.",
        CHINESE: "已在 {path} 创建新的主密钥文件。请在这台服务器之外另存一份副本：没有它，"
        "已存的密钥将无法读取。",
    },
    "key.rotation_unused_removed": {
        ENGLISH: "a master key rotation was cut short before it changed the store: the store "
        "still uses the key in {path} (the old key); removed the unused new key {pending}",
        CHINESE: "主密钥更换在改动数据库之前被中断：数据库仍使用 {path} 中的密钥（旧主密钥）；"
        "已删除未用上的新主密钥 {pending}",
    },
    "key.rotation_finished": {
        ENGLISH: "a master key rotation was cut short after it re-sealed the store: finished "
        "it; the store uses the new key, now in {path} (the previous key is kept beside it as "
        "{old})",
        CHINESE: "主密钥更换在重新加密数据库之后被中断：现已完成；数据库使用新主密钥，"
        "现保存在 {path}（旧主密钥保留在同一文件夹，名为 {old}）",
    },
    "store.rebound": {
        ENGLISH: "store upgraded: {count} stored secrets are now bound to their code settings",
        CHINESE: "数据库已升级：{count} 个已存密钥现已与其验证码设置绑定",
    },
    "store.unreadable_at_open": {
        ENGLISH: "the stored secrets of these accounts cannot be read (changed outside the "
        "bot); remove and re-add them: {accounts}",
        CHINESE: "以下账号的已存密钥无法读取（在机器人之外被修改过）；请删除后重新添加：{accounts}",
    },
    "store.schema_upgraded": {
        ENGLISH: "store schema upgraded from {found} to {head}",
        CHINESE: "数据库结构已从 {found} 升级到 {head}",
    },
    "store.schema_upgraded_unversioned": {
        ENGLISH: "store schema upgraded from before migrations to {head}",
        CHINESE: "数据库结构已从早于迁移机制的版本升级到 {head}",
    },
    "store.column_added": {
        ENGLISH: "store upgraded: added {table}.{column}",
        CHINESE: "数据库已升级：添加了列 {table}.{column}",
    },
    "config.token_missing": {
        ENGLISH: "TEAMOTP_BOT_TOKEN is not set: get a token from @BotFather and set it in the environment or in .env",
        CHINESE: "未设置 TEAMOTP_BOT_TOKEN：请向 @BotFather 申请机器人令牌，写入环境变量或 <code>.env</code> 文件",
    },
    "config.webhook_url_missing": {
        ENGLISH: "TEAMOTP_WEBHOOK_URL is not set: webhook mode needs the public https:// URL Telegram posts updates to",
        CHINESE: "未设置 TEAMOTP_WEBHOOK_URL：webhook 模式需要一个公网 https:// 地址，供 Telegram 推送消息",
    },
    "config.webhook_secret_missing": {
        ENGLISH: "TEAMOTP_WEBHOOK_SECRET is not set: webhook mode needs a secret of 1-256 characters A-Z, a-z, 0-9, _ and - (e.g. from `openssl rand -hex 32`)",
        CHINESE: "未设置 TEAMOTP_WEBHOOK_SECRET：webhook 模式需要一个 1-256 个字符的密钥，只能包含 <code>A-Z</code>、<code>a-z</code>、<code>0-9</code>、_ 和 -（例如用 `openssl rand -hex 32` 生成）",
    },
    "config.ids": {
        ENGLISH: "{name} must be comma-separated numeric Telegram user ids (send /start to the bot to see yours)",
        CHINESE: "{name} 必须是用逗号分隔的 Telegram 数字用户 ID（向机器人发送 /start 可查看自己的 ID）",
    },
    "config.whole_number": {
        ENGLISH: "{name} must be a whole number",
        CHINESE: "{name} 必须是整数",
    },
    "config.code_ttl": {
        ENGLISH: "TEAMOTP_CODE_TTL must be -1 (keep), 0 (delete at expiry) or seconds",
        CHINESE: "TEAMOTP_CODE_TTL 必须是 -1（保留）、0（到期即删除）或秒数",
    },
    "config.timezone": {
        ENGLISH: "TEAMOTP_TIMEZONE is not a time zone this system knows: {value} (use a name "
        "like Asia/Shanghai or Europe/Berlin, or UTC)",
        CHINESE: "TEAMOTP_TIMEZONE 不是本系统认识的时区：{value}（请使用 <code>Asia/Shanghai</code>、"
        "<code>Europe/Berlin</code> 这样的名称，或 UTC）",
    },
    "config.codes_per_minute": {
        ENGLISH: "TEAMOTP_CODES_PER_MINUTE must be 0 (no limit) or a positive number",
        CHINESE: "TEAMOTP_CODES_PER_MINUTE 必须是 0（不限制）或正整数",
    },
    "config.switch": {
        ENGLISH: "{name} must be 1 or 0",
        CHINESE: "{name} 必须是 1 或 0",
    },
    "config.api_url": {
        ENGLISH: "TEAMOTP_API_URL must be an http:// or https:// URL, like https://api.telegram.org",
        CHINESE: "TEAMOTP_API_URL 必须是 http:// 或 https:// 地址，例如 https://api.telegram.org",
    },
    "config.mode": {
        ENGLISH: "TEAMOTP_MODE must be polling or webhook",
        CHINESE: "TEAMOTP_MODE 必须是 <code>polling</code> 或 <code>webhook</code>",
    },
    "config.webhook_url": {
        ENGLISH: "TEAMOTP_WEBHOOK_URL must be an https:// URL Telegram can reach, like https://bot.example.com/telegram",
        CHINESE: "TEAMOTP_WEBHOOK_URL 必须是 Telegram 能访问到的 https:// 地址，例如 https://bot.example.com/telegram",
    },
    "config.webhook_port": {
        ENGLISH: "TEAMOTP_WEBHOOK_URL must use port 443, 80, 88 or 8443 (Telegram's)",
        CHINESE: "TEAMOTP_WEBHOOK_URL 只能使用 Telegram 支持的端口：443、80、88 或 8443",
    },
    "config.webhook_health": {
        ENGLISH: "TEAMOTP_WEBHOOK_URL must not end in {path}: that is the health check",
        CHINESE: "TEAMOTP_WEBHOOK_URL 不能以 {path} 结尾：那是健康检查的地址",
    },
    "config.webhook_secret": {
        ENGLISH: "TEAMOTP_WEBHOOK_SECRET must be 1-256 characters A-Z, a-z, 0-9, _ and - (e.g. from `openssl rand -hex 32`)",
        CHINESE: "TEAMOTP_WEBHOOK_SECRET 必须是 1-256 个字符，只能包含 <code>A-Z</code>、<code>a-z</code>、<code>0-9</code>、_ 和 -（例如用 `openssl rand -hex 32` 生成）",
    },
    "config.port": {
        ENGLISH: "{name} must be a port number, 1-65535",
        CHINESE: "{name} 必须是 1-65535 之间的端口号",
    },
    "config.http_port_webhook": {
        ENGLISH: "in webhook mode the SMS relay's posts go to the webhook's server: leave "
        "TEAMOTP_HTTP_PORT unset, or make it TEAMOTP_LISTEN_PORT",
        CHINESE: "webhook 模式下，短信转发的请求由 webhook 的服务器接收：请不要设置 "
        "TEAMOTP_HTTP_PORT，或将其设为与 TEAMOTP_LISTEN_PORT 相同",
    },
    "config.sends_per_second": {
        ENGLISH: "TEAMOTP_SENDS_PER_SECOND must be a whole number, 0 or more",
        CHINESE: "TEAMOTP_SENDS_PER_SECOND 必须是大于或等于 0 的整数",
    },
    "config.http_url": {
        ENGLISH: "TEAMOTP_HTTP_URL must be the http:// or https:// address the phone reaches "
        "the bot at, e.g. https://otp.example.com",
        CHINESE: "TEAMOTP_HTTP_URL 必须是手机访问机器人的 http:// 或 https:// 地址，"
        "例如 https://otp.example.com",
    },
    "config.log_level": {
        ENGLISH: "TEAMOTP_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL",
        CHINESE: "TEAMOTP_LOG_LEVEL 必须是 <code>DEBUG</code>、<code>INFO</code>、<code>WARNING</code>、<code>ERROR</code> 或 <code>CRITICAL</code>",
    },
    "startup.data_dir_create": {
        ENGLISH: "cannot create the data directory {path}: {reason}",
        CHINESE: "无法创建数据目录 {path}：{reason}",
    },
    "startup.data_dir_unwritable": {
        ENGLISH: "the data directory {path} is not writable by this user (uid {uid}): fix its owner or permissions",
        CHINESE: "当前用户（uid {uid}）无法写入数据目录 {path}：请修改该目录的所有者或权限",
    },
    "startup.token_refused": {
        ENGLISH: "Telegram refused the bot token: check TEAMOTP_BOT_TOKEN",
        CHINESE: "Telegram 拒绝了机器人令牌：请检查 TEAMOTP_BOT_TOKEN",
    },
    "startup.api_url_unusable": {
        ENGLISH: "TEAMOTP_API_URL is not a URL the bot can use: it should look like https://api.telegram.org",
        CHINESE: "TEAMOTP_API_URL 不是机器人能用的地址：应形如 https://api.telegram.org",
    },
    "startup.cannot_listen": {
        ENGLISH: "cannot listen on {host}:{port} (TEAMOTP_LISTEN_HOST, TEAMOTP_LISTEN_PORT): {reason}",
        CHINESE: "无法监听 {host}:{port}（TEAMOTP_LISTEN_HOST、TEAMOTP_LISTEN_PORT）：{reason}",
    },
    "startup.webhook_refused": {
        ENGLISH: "Telegram refused the webhook (TEAMOTP_WEBHOOK_URL, TEAMOTP_WEBHOOK_SECRET): {said}",
        CHINESE: "Telegram 拒绝了 webhook 设置（TEAMOTP_WEBHOOK_URL、TEAMOTP_WEBHOOK_SECRET）：{said}",
    },
    "startup.as_said": {
        ENGLISH: "{said}",
        CHINESE: "{said}",
    },
    "store.cannot_open": {
        ENGLISH: "cannot open the database {url}: {reason}",
        CHINESE: "无法打开数据库 {url}：{reason}",
    },
    "store.wrong_key": {
        ENGLISH: "the master key does not match the store (it was written with another key); nothing was changed",
        CHINESE: "主密钥与数据库不匹配（数据库是用另一个密钥写入的）；没有做任何更改",
    },
    "store.cannot_prepare": {
        ENGLISH: "cannot prepare the database {url}: {reason}",
        CHINESE: "无法初始化数据库 {url}：{reason}",
    },
    "store.cannot_write": {
        ENGLISH: "cannot write the database {url}: {reason}; the bot must be able to write it: check the file's owner and permissions",
        CHINESE: "无法写入数据库 {url}：{reason}；机器人必须能写入数据库：请检查文件的所有者和权限",
    },
    "store.schema_behind": {
        ENGLISH: "the database {url} is not at this version's schema ({found}, needs {head}): run `teamotp migrate`, or set TEAMOTP_AUTO_MIGRATE=1",
        CHINESE: "数据库 {url} 的结构不是此版本所需的（现为 {found}，需要 {head}）：请运行 `teamotp migrate`，或设置 TEAMOTP_AUTO_MIGRATE=1",
    },
    "store.schema_behind_unversioned": {
        ENGLISH: "the database {url} is not at this version's schema (from before migrations, needs {head}): run `teamotp migrate`, or set TEAMOTP_AUTO_MIGRATE=1",
        CHINESE: "数据库 {url} 的结构不是此版本所需的（早于迁移机制，需要 {head}）：请运行 `teamotp migrate`，或设置 TEAMOTP_AUTO_MIGRATE=1",
    },
    "store.schema_behind_empty": {
        ENGLISH: "the database {url} is not at this version's schema (empty, needs {head}): run `teamotp migrate`, or set TEAMOTP_AUTO_MIGRATE=1",
        CHINESE: "数据库 {url} 的结构不是此版本所需的（空数据库，需要 {head}）：请运行 `teamotp migrate`，或设置 TEAMOTP_AUTO_MIGRATE=1",
    },
    "store.bad_url": {
        ENGLISH: "TEAMOTP_DATABASE_URL is not a usable database URL ({kind}); expected e.g. sqlite:///data/teamotp.db or postgresql+psycopg://user@host/db",
        CHINESE: "TEAMOTP_DATABASE_URL 不是可用的数据库地址（{kind}）；应形如 sqlite:///data/teamotp.db 或 postgresql+psycopg://user@host/db",
    },
    "store.no_driver": {
        ENGLISH: "TEAMOTP_DATABASE_URL needs a database driver that is not installed: {module}",
        CHINESE: "TEAMOTP_DATABASE_URL 需要的数据库驱动没有安装：{module}",
    },
    "store.no_driver_hint": {
        ENGLISH: "TEAMOTP_DATABASE_URL needs a database driver that is not installed: {module}; install it with: pip install 'teamotp[{extra}]'",
        CHINESE: "TEAMOTP_DATABASE_URL 需要的数据库驱动没有安装：{module}；请用 `pip install 'teamotp[{extra}]'` 安装",
    },
    "key.bad_env": {
        ENGLISH: "TEAMOTP_MASTER_KEY must be 32 bytes, base64-encoded",
        CHINESE: "TEAMOTP_MASTER_KEY 必须是 base64 编码的 32 字节密钥",
    },
    "key.file_missing": {
        ENGLISH: "the master key file {path} is missing, but the store was written with a key: restore the file or set TEAMOTP_MASTER_KEY",
        CHINESE: "主密钥文件 {path} 不存在，但数据库是用密钥写入的：请恢复该文件，或设置 TEAMOTP_MASTER_KEY",
    },
    "key.cannot_create": {
        ENGLISH: "cannot create the master key file {path}: {reason}; check TEAMOTP_MASTER_KEY_FILE and its folder's permissions",
        CHINESE: "无法创建主密钥文件 {path}：{reason}；请检查 TEAMOTP_MASTER_KEY_FILE 及其所在文件夹的权限",
    },
    "key.is_directory": {
        ENGLISH: "the master key file {path} is a directory, not a file: point TEAMOTP_MASTER_KEY_FILE at the key file",
        CHINESE: "主密钥文件 {path} 是目录，不是文件：请让 TEAMOTP_MASTER_KEY_FILE 指向密钥文件",
    },
    "key.dangling_link": {
        ENGLISH: "the master key file {path} is a symbolic link to {target}, where there is no file: point TEAMOTP_MASTER_KEY_FILE at the key file",
        CHINESE: "主密钥文件 {path} 是指向 {target} 的符号链接，但那里没有文件：请让 TEAMOTP_MASTER_KEY_FILE 指向密钥文件",
    },
    "key.cannot_read_mode": {
        ENGLISH: "cannot read the master key file {path}: {reason} (owned by uid {owner}, mode {mode}); it must be readable by this user (uid {uid})",
        CHINESE: "无法读取主密钥文件 {path}：{reason}（所有者 uid {owner}，权限 {mode}）；当前用户（uid {uid}）必须能读取它",
    },
    "key.cannot_read_unknown_mode": {
        ENGLISH: "cannot read the master key file {path}: {reason} (its owner and mode unknown); it must be readable by this user (uid {uid})",
        CHINESE: "无法读取主密钥文件 {path}：{reason}（所有者和权限未知）；当前用户（uid {uid}）必须能读取它",
    },
    "key.cannot_read": {
        ENGLISH: "cannot read the master key file {path}: {reason}; it must be readable by this user (uid {uid})",
        CHINESE: "无法读取主密钥文件 {path}：{reason}；当前用户（uid {uid}）必须能读取它",
    },
    "key.not_a_key": {
        ENGLISH: "the master key file {path} does not hold a base64 32-byte key",
        CHINESE: "主密钥文件 {path} 里不是 base64 编码的 32 字节密钥",
    },
    "cli.help.usage": {
        ENGLISH: "usage: ",
        CHINESE: "用法：",
    },
    "cli.help.positionals": {
        ENGLISH: "positional arguments",
        CHINESE: "参数",
    },
    "cli.help.colon": {ENGLISH: ":", CHINESE: "："},
    "cli.help.options": {
        ENGLISH: "options",
        CHINESE: "选项",
    },
    "cli.help.help": {
        ENGLISH: "show this help message and exit",
        CHINESE: "显示此帮助信息并退出",
    },
    "cli.help.error": {
        ENGLISH: "{prog}: error: {message}",
        CHINESE: "{prog}：错误：{message}",
    },
    "cli.help.version": {
        ENGLISH: "show program's version number and exit",
        CHINESE: "显示版本号并退出",
    },
    "cli.help.teamotp": {
        ENGLISH: "A team's shared authenticator, as a self-hosted Telegram bot.",
        CHINESE: "团队共用的身份验证器：部署在你自己服务器上的 Telegram 机器人。",
    },
    "cli.help.run": {
        ENGLISH: "start the bot (long polling, or a webhook); stops cleanly on SIGTERM or Ctrl-C",
        CHINESE: "启动机器人（长轮询或 webhook）；收到 <code>SIGTERM</code> 或按 <code>Ctrl-C</code> 时正常退出",
    },
    "cli.help.run_description": {
        ENGLISH: "Start the bot. Its settings come from TEAMOTP_* environment variables and from ./.env (the environment wins); the README says more.",
        CHINESE: "启动机器人。设置来自 TEAMOTP_* 环境变量和 <code>./.env</code> 文件（以环境变量为准）；详见 README。",
    },
    "cli.help.webhook": {
        ENGLISH: "take updates from Telegram's webhook instead of polling (as TEAMOTP_MODE=webhook): needs TEAMOTP_WEBHOOK_URL and TEAMOTP_WEBHOOK_SECRET; listens on TEAMOTP_LISTEN_HOST:TEAMOTP_LISTEN_PORT and serves /healthz",
        CHINESE: "通过 Telegram 的 webhook 接收消息，不再轮询（同 <code>TEAMOTP_MODE=webhook</code>）：需要设置 TEAMOTP_WEBHOOK_URL 和 TEAMOTP_WEBHOOK_SECRET；在 TEAMOTP_LISTEN_HOST:TEAMOTP_LISTEN_PORT 上监听，并提供 /healthz",
    },
    "cli.help.settings": {
        ENGLISH: "settings, each with its default:",
        CHINESE: "设置项及其默认值：",
    },
    "cli.help.accounts": {
        ENGLISH: "add, import, list or remove accounts on the server",
        CHINESE: "在服务器上添加、导入、列出或删除账号",
    },
    "cli.help.accounts_description": {
        ENGLISH: "Manage accounts without sending secrets through a chat. Give '-' (or nothing) as the secret or link to read it from standard input.",
        CHINESE: "在服务器上管理账号，密钥不经过任何聊天。密钥或链接写 '-'（或不写）则从标准输入读取。",
    },
    "cli.help.accounts_add": {
        ENGLISH: "add one account",
        CHINESE: "添加一个账号",
    },
    "cli.help.accounts_name": {
        ENGLISH: "account name, e.g. amazon-us",
        CHINESE: "账号名称，例如 amazon-us",
    },
    "cli.help.accounts_secret": {
        ENGLISH: "base32 key as the site shows it",
        CHINESE: "网站显示的密钥（base32）",
    },
    "cli.help.accounts_uri": {
        ENGLISH: "an otpauth://totp/... link",
        CHINESE: "一个 otpauth://totp/... 链接",
    },
    "cli.help.accounts_qr": {
        ENGLISH: "an image of the site's QR code",
        CHINESE: "网站二维码的图片",
    },
    "cli.help.accounts_import": {
        ENGLISH: "import a Google Authenticator export",
        CHINESE: "导入 Google 身份验证器导出的账号",
    },
    "cli.help.accounts_import_uri": {
        ENGLISH: "otpauth-migration://... or otpauth://totp/... links",
        CHINESE: "otpauth-migration://... 或 otpauth://totp/... 链接",
    },
    "cli.help.accounts_import_qr": {
        ENGLISH: "an image of the export QR code",
        CHINESE: "导出二维码的图片",
    },
    "cli.help.accounts_list": {
        ENGLISH: "list accounts (never secrets)",
        CHINESE: "列出账号（不显示密钥）",
    },
    "cli.help.accounts_remove": {
        ENGLISH: "remove an account and its secret for good",
        CHINESE: "永久删除账号及其密钥",
    },
    "cli.help.accounts_yes": {
        ENGLISH: "do not ask for confirmation",
        CHINESE: "不再询问确认",
    },
    "cli.help.examples": {ENGLISH: "examples:", CHINESE: "示例："},
    "cli.help.members": {
        ENGLISH: "list the team, or add, revoke, promote or demote someone",
        CHINESE: "列出团队成员，或添加、移除、设为管理员、撤销管理员",
    },
    "cli.help.members_description": {
        ENGLISH: "The team, managed on the server with the chat's rules: the person is named "
        "by their numeric Telegram id (they see it with /start) or by an @username the bot "
        "has seen; account names and `for 8h` follow as with /add. Each change is recorded "
        "in the audit log as done by the server operator; nobody is told in Telegram.",
        CHINESE: "在服务器上按聊天中的同样规则管理团队：用 Telegram 数字 ID（对方发送 /start "
        "即可看到）或机器人见过的 @用户名 指定某人；账号名称和 `for 8h` 的写法与 /add 相同。"
        "每次改动都以“服务器操作员”的名义记入操作记录，不会在 Telegram 中通知任何人。",
    },
    "cli.help.members_list": {
        ENGLISH: "the team: each person's role, id, @username and accounts",
        CHINESE: "团队成员：每个人的角色、ID、@用户名和账号",
    },
    "cli.help.members_add": {
        ENGLISH: "whitelist someone, for all accounts or the named ones",
        CHINESE: "添加成员：全部账号，或只给所列账号",
    },
    "cli.help.members_revoke": {
        ENGLISH: "remove someone, or only take the named accounts",
        CHINESE: "移除成员，或只收回所列账号",
    },
    "cli.help.members_promote": {ENGLISH: "make a member an admin", CHINESE: "把成员设为管理员"},
    "cli.help.members_demote": {
        ENGLISH: "make an admin a member again",
        CHINESE: "撤销管理员，恢复为普通成员",
    },
    "cli.help.members_who": {
        ENGLISH: "the person's numeric Telegram id, or an @username the bot has seen",
        CHINESE: "对方的 Telegram 数字 ID，或机器人见过的 @用户名",
    },
    "cli.help.members_add_accounts": {
        ENGLISH: "account names to grant (none: all accounts), then `for 30m`, `for 8h` or "
        "`for 3d` to make it end by itself",
        CHINESE: "要授予的账号名称（不写则为全部账号），末尾可加 `for 30m`、`for 8h` 或 `for 3d`，"
        "到期自动收回",
    },
    "cli.help.members_revoke_accounts": {
        ENGLISH: "account names to take (none: remove the person from the team)",
        CHINESE: "要收回的账号名称（不写则把此人移出团队）",
    },
    "cli.members.add_by_id": {
        ENGLISH: "Nobody was added. If it is, run: teamotp members add {user_id} (and the "
        "account names).",
        CHINESE: "没有添加任何人。如果确认无误，请运行：teamotp members add {user_id}（加上账号名称）。",
    },
    "cli.members.bad_who": {
        ENGLISH: "Name the person by their numeric Telegram id (they see it with /start) or by "
        "an @username the bot has seen.",
        CHINESE: "请用 Telegram 数字 ID（对方发送 /start 即可看到）或机器人见过的 @用户名 "
        "指定此人。",
    },
    "cli.progress.backup": {
        ENGLISH: "Backing up: {done} of {total} rows",
        CHINESE: "正在备份：{done}/{total} 行",
    },
    "cli.progress.import": {
        ENGLISH: "Importing: {done} of {total} accounts",
        CHINESE: "正在导入：{done}/{total} 个账号",
    },
    "cli.help.audit": {
        ENGLISH: "show or export the audit log, or check its hash chain",
        CHINESE: "查看或导出操作记录，或检查操作记录链",
    },
    "cli.help.audit_description": {
        ENGLISH: "Every code request and admin action, oldest first; or, with verify, check "
        "that no event was changed, removed or added behind the bot's back.",
        CHINESE: "按时间从旧到新列出每次取码请求和管理员操作；加 verify 则检查是否有操作记录"
        "被绕过机器人改动、删除或添加。",
    },
    "cli.audit.bad_since": {
        ENGLISH: "{typed} is neither a date (2026-03-01), a date and time (2026-03-01T08:00) "
        "nor how long back (30m, 12h, 7d)",
        CHINESE: "{typed} 既不是日期（2026-03-01）、日期和时间（2026-03-01T08:00），"
        "也不是往前多久（30m、12h、7d）",
    },
    "cli.help.audit_since": {
        ENGLISH: "only events from then on: a date (2026-03-01) or a date and time in UTC "
        "(2026-03-01T08:00), or how long back (30m, 12h, 7d)",
        CHINESE: "只列出此后的记录：日期（2026-03-01）、UTC 日期和时间（2026-03-01T08:00），"
        "或往前多久（30m、12h、7d）",
    },
    "cli.help.audit_csv": {ENGLISH: "as CSV, one event per row", CHINESE: "输出为 CSV，每行一条"},
    "cli.help.audit_json": {
        ENGLISH: "as a JSON array of events",
        CHINESE: "输出为 JSON 数组",
    },
    "cli.help.init": {
        ENGLISH: "make the data directory, the master key file and the database, once",
        CHINESE: "创建数据目录、主密钥文件和数据库（只需一次）",
    },
    "cli.help.init_description": {
        ENGLISH: "Make what the bot keeps, before its first start: the data directory "
        "(TEAMOTP_DATA_DIR), the master key file (TEAMOTP_MASTER_KEY_FILE, mode 0600) unless "
        "TEAMOTP_MASTER_KEY is set, and the database at this version's schema; then say what "
        "is left to do. Run again, it changes nothing and says so.",
        CHINESE: "在首次启动前创建机器人需要保存的东西：数据目录（TEAMOTP_DATA_DIR）、主密钥文件"
        "（TEAMOTP_MASTER_KEY_FILE，权限 0600，已设置 TEAMOTP_MASTER_KEY 时不创建）以及当前版本"
        "结构的数据库，然后说明接下来要做什么。再次运行不会改动任何东西，并会说明这一点。",
    },
    "cli.help.check": {
        ENGLISH: "check settings, database, master key, stored secrets and the Bot API",
        CHINESE: "检查设置、数据库、主密钥、已保存的密钥和 Bot API",
    },
    "cli.help.check_description": {
        ENGLISH: "Check whether this server is ready to run the bot, one line per check "
        "(ok, FAIL, warn or skip), and change nothing: the settings, the database and its "
        "schema, the master key, every stored secret, and (unless --offline) the Bot API, "
        "the bot's privacy mode and the server's clock. Exit 1 when a check failed.",
        CHINESE: "检查这台服务器是否可以运行机器人，每项一行（通过、失败、注意或跳过），不改动任何"
        "东西：设置、数据库及其结构、主密钥、每个已保存的密钥，以及（未加 --offline 时）Bot API、"
        "机器人的隐私模式和服务器时钟。有任何一项失败时以 1 退出。",
    },
    "cli.help.check_offline": {
        ENGLISH: "skip the checks that ask the Bot API (token, privacy mode, clock)",
        CHINESE: "跳过需要访问 Bot API 的检查（令牌、隐私模式、时钟）",
    },
    "cli.help.audit_verify": {
        ENGLISH: "check the hash chain; exit 1 and name the first broken link if broken",
        CHINESE: "检查操作记录链；如已断开，指出第一个断开处并以 1 退出",
    },
    "cli.help.migrate": {
        ENGLISH: "upgrade the store's schema to this version's",
        CHINESE: "把数据库结构升级到此版本",
    },
    "cli.help.migrate_description": {
        ENGLISH: "Upgrade the database's schema to this version of teamotp (the bot does it at start unless TEAMOTP_AUTO_MIGRATE=0).",
        CHINESE: "把数据库结构升级到此版本的 teamotp 所需的结构（除非设置了 TEAMOTP_AUTO_MIGRATE=0，机器人启动时会自动升级）。",
    },
    "cli.help.migrate_check": {
        ENGLISH: "only say whether the schema is up to date (exit 1 if not); change nothing",
        CHINESE: "只检查数据库结构是否为最新（不是则以 1 退出），不做任何更改",
    },
    "cli.help.backup": {
        ENGLISH: "write a consistent copy of the store to FILE (secrets stay sealed)",
        CHINESE: "把数据库的一致性副本写入 <code>FILE</code>（密钥保持加密）",
    },
    "cli.help.backup_description": {
        ENGLISH: "Copy the whole store into FILE (a SQLite file, mode 0600), as it is at one moment, also while the bot runs. Secrets stay sealed with the master key, which is not in the backup: keep the key too.",
        CHINESE: "把整个数据库在某一时刻的状态复制到 <code>FILE</code>（SQLite 文件，权限 0600），机器人运行时也可以备份。密钥仍用主密钥加密，而主密钥不在备份中：请另外保存主密钥。",
    },
    "cli.help.restore": {
        ENGLISH: "replace the store with a backup made by `teamotp backup`",
        CHINESE: "用 `teamotp backup` 生成的备份替换数据库",
    },
    "cli.help.restore_description": {
        ENGLISH: "Replace everything in the store with the backup in FILE, in one transaction. Stop the bot first, and start it again afterwards.",
        CHINESE: "在一个事务中用 <code>FILE</code> 中的备份替换数据库的全部内容。请先停止机器人，完成后再启动。",
    },
    "cli.help.restore_key_file": {
        ENGLISH: "the master key file the backup was made under, when it is not this store's: its secrets are then re-sealed under this store's key",
        CHINESE: "备份所用的主密钥文件（与当前数据库的不同时）：备份中的密钥会改用当前数据库的主密钥重新加密",
    },
    "cli.help.restore_force": {
        ENGLISH: "replace a store that is not empty",
        CHINESE: "替换一个非空的数据库",
    },
    "cli.help.rotate_key": {
        ENGLISH: "re-seal every secret under a new master key (in the key file)",
        CHINESE: "用新的主密钥重新加密所有密钥（写入密钥文件）",
    },
    "cli.help.rotate_key_description": {
        ENGLISH: "Make a new master key, re-seal every stored secret under it in one transaction, and put it in the key file (TEAMOTP_MASTER_KEY_FILE). The previous key is kept beside it, for backups made before. Restart every running bot after.",
        CHINESE: "生成新的主密钥，在一个事务中用它重新加密所有已保存的密钥，并写入密钥文件（TEAMOTP_MASTER_KEY_FILE）。旧密钥保留在旁边，供之前的备份使用。完成后请重启所有正在运行的机器人。",
    },
    "setting.required": {
        ENGLISH: "(required)",
        CHINESE: "（必填）",
    },
    "setting.none": {
        ENGLISH: "(none)",
        CHINESE: "（无）",
    },
    "setting.owner_ids_default": {
        ENGLISH: "(none: the first to send /claim CODE from the log becomes owner)",
        CHINESE: "（无：第一个发送日志中 /claim 认领码 的人成为所有者）",
    },
    "setting.master_key_default": {
        ENGLISH: "(none: the key file)",
        CHINESE: "（无：使用密钥文件）",
    },
    "setting.webhook_required": {
        ENGLISH: "(required in webhook mode)",
        CHINESE: "（webhook 模式下必填）",
    },
    "setting.bot_token": {
        ENGLISH: "the bot's token from @BotFather",
        CHINESE: "从 @BotFather 获得的机器人令牌",
    },
    "setting.owner_ids": {
        ENGLISH: "comma-separated numeric Telegram user ids of the owners (/start shows yours)",
        CHINESE: "所有者的 Telegram 数字用户 ID，用逗号分隔（向机器人发送 /start 可查看自己的 ID）",
    },
    "setting.data_dir": {
        ENGLISH: "where the default database and key file live",
        CHINESE: "默认数据库和密钥文件所在的目录",
    },
    "setting.database_url": {
        ENGLISH: "any SQLAlchemy URL, e.g. postgresql+psycopg://USER:PASSWORD@HOST/DATABASE",
        CHINESE: "任意 SQLAlchemy 数据库地址，例如 postgresql+psycopg://USER:PASSWORD@HOST/DATABASE",
    },
    "setting.master_key": {
        ENGLISH: "the 32-byte master key, base64",
        CHINESE: "32 字节的主密钥，base64 编码",
    },
    "setting.master_key_file": {
        ENGLISH: "the master key's file, made (mode 0600) on the first start; keep a copy elsewhere",
        CHINESE: "主密钥文件，首次启动时创建（权限 0600）；请在别处另存一份",
    },
    "setting.api_url": {
        ENGLISH: "the Bot API server (a self-hosted one, or a test one)",
        CHINESE: "Telegram 机器人 API 服务器（自建的，或测试用的）",
    },
    "setting.audit_chat_id": {
        ENGLISH: "a chat that gets every notice, and the audit chain's head once a day",
        CHINESE: "接收所有通知的聊天，每天还会收到一次操作记录链的最新一条",
    },
    "setting.code_ttl": {
        ENGLISH: "seconds after the last code shown expires to delete its message; -1 keeps it",
        CHINESE: "最后显示的验证码过期多少秒后删除该消息；-1 表示保留",
    },
    "setting.log_level": {
        ENGLISH: "DEBUG, INFO, WARNING, ERROR or CRITICAL",
        CHINESE: "<code>DEBUG</code>、<code>INFO</code>、<code>WARNING</code>、<code>ERROR</code> 或 <code>CRITICAL</code>",
    },
    "setting.timezone": {
        ENGLISH: "the team's time zone, for the times in /audit, notices and /members (an IANA "
        "name, e.g. Asia/Shanghai)",
        CHINESE: "团队所在时区，/audit、通知和 /members 中的时间按它显示（标准时区名称，"
        "如 <code>Asia/Shanghai</code>）",
    },
    "setting.codes_per_minute": {
        ENGLISH: "codes one person may get in a minute; 0: no limit",
        CHINESE: "每人每分钟最多可获取的验证码数；0 表示不限制",
    },
    "setting.auto_migrate": {
        ENGLISH: "1: upgrade the database's schema at start; 0: refuse an older one (`teamotp migrate` upgrades it)",
        CHINESE: "1：启动时自动升级数据库结构；0：数据库结构较旧时拒绝启动（用 `teamotp migrate` 升级）",
    },
    "setting.mode": {
        ENGLISH: "polling, or webhook (the same as --webhook)",
        CHINESE: "<code>polling</code>（轮询），或 <code>webhook</code>（同 --webhook）",
    },
    "setting.webhook_url": {
        ENGLISH: "the public https:// URL Telegram posts updates to",
        CHINESE: "Telegram 推送消息的公网 https:// 地址",
    },
    "setting.webhook_secret": {
        ENGLISH: "1-256 characters A-Z a-z 0-9 _ -, which Telegram sends with every update",
        CHINESE: "1-256 个字符（<code>A-Z a-z 0-9 _ -</code>），Telegram 每次推送都会带上它",
    },
    "setting.listen_host": {
        ENGLISH: "the address the webhook server listens on (it also serves /healthz)",
        CHINESE: "webhook 服务器监听的地址（它也提供 /healthz）",
    },
    "setting.listen_port": {
        ENGLISH: "the port the webhook server listens on",
        CHINESE: "webhook 服务器监听的端口",
    },
    "setting.sends_per_second": {
        ENGLISH: "sends a second to all chats together, Telegram's overall limit; 0: not paced "
        "(a Bot API server without Telegram's limits)",
        CHINESE: "每秒发往所有聊天的消息总数，即 Telegram 的总体限制；0 表示不限速"
        "（没有 Telegram 限制的 Bot API 服务器）",
    },
    "setting.http_host": {
        ENGLISH: "the address the SMS relay's server listens on (polling mode); 0.0.0.0 for "
        "a phone on the local network",
        CHINESE: "短信转发服务器监听的地址（polling 模式）；手机在局域网内时设为 0.0.0.0",
    },
    "setting.http_port_default": {
        ENGLISH: "(none: no SMS relay server in polling mode)",
        CHINESE: "（无：polling 模式下不启动短信转发服务器）",
    },
    "setting.http_port": {
        ENGLISH: "the port the SMS relay's server listens on (in webhook mode, the webhook's)",
        CHINESE: "短信转发服务器监听的端口（webhook 模式下与 webhook 相同）",
    },
    "setting.http_url": {
        ENGLISH: "the address the phone posts its SMS to, as /sms add shows it "
        "(e.g. https://otp.example.com)",
        CHINESE: "手机发送短信的地址，/sms add 会显示它（例如 https://otp.example.com）",
    },
    # --- backups and the master key (`teamotp backup`, `restore`, `rotate-key`) ---
    "cli.backup.done": {
        ENGLISH: "Backed up {counts} (schema {revision}) to {path}.",
        CHINESE: "已把 {counts}（数据库结构 {revision}）备份到 {path}。",
    },
    "cli.backup.key_apart": {
        ENGLISH: "Its secrets are sealed with the master key, which is not in the backup: "
        "keep a copy of the key to restore it.",
        CHINESE: "备份中的密钥仍用主密钥加密，而主密钥不在备份中：请另外保存一份主密钥，恢复时需要它。",
    },
    "cli.backup.counts": {
        ENGLISH: "{accounts}, {members}, {audit_entries}",
        CHINESE: "{accounts}、{members}、{audit_entries}",
    },
    "cli.count.account": {ENGLISH: "{count} account", CHINESE: "{count} 个账号"},
    "cli.count.accounts": {ENGLISH: "{count} accounts", CHINESE: "{count} 个账号"},
    "cli.count.member": {ENGLISH: "{count} member", CHINESE: "{count} 名成员"},
    "cli.count.members": {ENGLISH: "{count} members", CHINESE: "{count} 名成员"},
    "cli.count.audit_entry": {ENGLISH: "{count} audit entry", CHINESE: "{count} 条操作记录"},
    "cli.count.audit_entries": {ENGLISH: "{count} audit entries", CHINESE: "{count} 条操作记录"},
    "cli.count.secret": {ENGLISH: "{count} secret", CHINESE: "{count} 个密钥"},
    "cli.count.secrets": {ENGLISH: "{count} secrets", CHINESE: "{count} 个密钥"},
    "cli.restore.done": {
        ENGLISH: "Restored {counts} from {path} (made {made_at}).",
        CHINESE: "已从 {path}（生成于 {made_at}）恢复 {counts}。",
    },
    "cli.restore.done_replacing": {
        ENGLISH: "Restored {counts} from {path} (made {made_at}), replacing {replaced}.",
        CHINESE: "已从 {path}（生成于 {made_at}）恢复 {counts}，替换了原有的 {replaced}。",
    },
    "cli.restore.made_unknown": {ENGLISH: "an unknown time", CHINESE: "未知时间"},
    "cli.restore.resealed": {
        ENGLISH: "Re-sealed {secrets} under this store's master key.",
        CHINESE: "已用当前数据库的主密钥重新加密 {secrets}。",
    },
    "cli.restore.start": {
        ENGLISH: "Start (or restart) the bot now.",
        CHINESE: "现在请启动（或重启）机器人。",
    },
    "cli.rotate_key.env_key": {
        ENGLISH: "the master key comes from TEAMOTP_MASTER_KEY, which rotate-key cannot change: "
        "put the key in the file TEAMOTP_MASTER_KEY_FILE names, unset TEAMOTP_MASTER_KEY, and "
        "run it again",
        CHINESE: "主密钥来自 TEAMOTP_MASTER_KEY，`teamotp rotate-key` 无法更改它：请把密钥写入 "
        "TEAMOTP_MASTER_KEY_FILE 指定的文件，取消设置 TEAMOTP_MASTER_KEY，然后重新运行",
    },
    "cli.rotate_key.done": {
        ENGLISH: "Re-sealed {secrets} under a new master key, now in {path}.",
        CHINESE: "已用新的主密钥重新加密 {secrets}，新主密钥现在保存在 {path}。",
    },
    "cli.rotate_key.kept": {
        ENGLISH: "The previous key is kept in {path}: backups made before now need it "
        "(teamotp restore FILE --key-file ...); move it off this server.",
        CHINESE: "旧主密钥保存在 {path}：此前生成的备份需要它（teamotp restore 文件 --key-file "
        "旧密钥文件）；请把它移出这台服务器。",
    },
    "cli.rotate_key.restart": {
        ENGLISH: "Restart every running bot now: until then it still holds the previous key.",
        CHINESE: "现在请重启所有正在运行的机器人：重启之前，它们仍持有旧主密钥。",
    },
    "store.none_at": {
        ENGLISH: "there is no store at {url}",
        CHINESE: "{url} 没有数据库",
    },
    "store.unreadable_secrets": {
        ENGLISH: "the stored secrets of these accounts do not open with the old key (they were "
        "changed outside the bot): {accounts}; remove them first (teamotp accounts remove "
        "NAME) and add them again afterwards",
        CHINESE: "以下账号的已存密钥无法用旧主密钥解开（在机器人之外被修改过）：{accounts}；"
        "请先删除这些账号（teamotp accounts remove 账号名称），之后再重新添加",
    },
    "backup.is_folder": {
        ENGLISH: "{path} is a folder: give the backup file's name",
        CHINESE: "{path} 是文件夹：请给出备份文件的文件名",
    },
    "backup.no_folder": {
        ENGLISH: "the folder {path} does not exist",
        CHINESE: "文件夹 {path} 不存在",
    },
    "backup.cannot_write": {
        ENGLISH: "cannot write {path}: {reason}",
        CHINESE: "无法写入 {path}：{reason}",
    },
    "backup.store_schema_none": {
        ENGLISH: "the store's schema (none) is not this version's ({head}): run `teamotp "
        "migrate` first",
        CHINESE: "数据库还没有结构版本，不是此版本所需的（{head}）：请先运行 `teamotp migrate`",
    },
    "backup.store_schema_behind": {
        ENGLISH: "the store's schema ({revision}) is not this version's ({head}): run "
        "`teamotp migrate` first",
        CHINESE: "数据库结构（{revision}）不是此版本所需的（{head}）：请先运行 `teamotp migrate`",
    },
    "backup.store_schema_newer": {
        ENGLISH: "the store's schema ({revision}) is newer than this version of teamotp knows "
        "({head}): back it up with the teamotp that runs the bot",
        CHINESE: "数据库结构（{revision}）比此版本的 teamotp 所知的（{head}）更新："
        "请用正在运行机器人的那个版本的 teamotp 备份",
    },
    "backup.no_key_check": {
        ENGLISH: "the store has never been opened with a key: nothing to back up",
        CHINESE: "数据库从未用主密钥打开过：没有可备份的内容",
    },
    "backup.cannot_back_up": {
        ENGLISH: "cannot back up the store: {reason}",
        CHINESE: "无法备份数据库：{reason}",
    },
    "backup.cannot_read": {
        ENGLISH: "cannot read the backup {path}: {reason}",
        CHINESE: "无法读取备份 {path}：{reason}",
    },
    "backup.missing": {
        ENGLISH: "no backup file at {path}",
        CHINESE: "{path} 没有备份文件",
    },
    "backup.folder_not_file": {
        ENGLISH: "{path} is a folder, not a backup file",
        CHINESE: "{path} 是文件夹，不是备份文件",
    },
    "backup.not_a_backup": {
        ENGLISH: "{path} is not a teamotp backup",
        CHINESE: "{path} 不是 teamotp 备份",
    },
    "backup.newer_format": {
        ENGLISH: "the backup {path} was made by a newer version of teamotp (backup format "
        "{format}): restore it with that version",
        CHINESE: "备份 {path} 由更新版本的 teamotp 生成（备份格式 {format}）：请用那个版本恢复",
    },
    "backup.newer_schema": {
        ENGLISH: "the backup {path} has a newer schema ({revision}) than this version of "
        "teamotp knows ({head}): restore it with the version that made it, or a newer one",
        CHINESE: "备份 {path} 的数据库结构（{revision}）比此版本的 teamotp 所知的（{head}）更新："
        "请用生成它的版本或更新的版本恢复",
    },
    "backup.other_key": {
        ENGLISH: "the backup was made under another master key than the store's",
        CHINESE: "备份所用的主密钥与当前数据库的不同",
    },
    "backup.other_key_given": {
        ENGLISH: "the backup was made under another master key than the store's, and not "
        "under the one given",
        CHINESE: "备份所用的主密钥与当前数据库的不同，也不是所给的那个",
    },
    "backup.store_not_empty": {
        ENGLISH: "the store is not empty ({held}): a restore would replace all of it; add "
        "--force to do so",
        CHINESE: "数据库不是空的（{held}）：恢复会替换其中的全部内容；确定要替换请加 --force",
    },
    "backup.cannot_restore": {
        ENGLISH: "the backup cannot be restored: {reason}; the store was left as it was",
        CHINESE: "无法恢复备份：{reason}；数据库保持原样",
    },
    "backup.key_not_the_backups": {
        ENGLISH: "the key in {key_file} is not the one the backup {path} was made under: "
        "nothing was changed",
        CHINESE: "{key_file} 中的密钥不是生成备份 {path} 时所用的主密钥：没有做任何更改",
    },
    "backup.needs_its_key": {
        ENGLISH: "the backup {path} needs the master key it was made under, and there is no "
        "key here yet (no key file at {key_file}): put that key file there, or give it with "
        "--key-file FILE to re-seal the backup under a new key",
        CHINESE: "备份 {path} 需要生成它时所用的主密钥，而这里还没有主密钥（{key_file} 没有密钥文件）："
        "请把那个密钥文件放到这里，或用 --key-file 指定它，备份会改用新的主密钥重新加密",
    },
    "backup.other_key_env": {
        ENGLISH: "the backup {path} was made under another master key than TEAMOTP_MASTER_KEY "
        "holds: give the backup's key with --key-file FILE (its secrets are then re-sealed "
        "under this store's key)",
        CHINESE: "备份 {path} 所用的主密钥与 TEAMOTP_MASTER_KEY 中的不同：请用 --key-file "
        "指定备份的密钥文件（备份中的密钥会改用当前数据库的主密钥重新加密）",
    },
    "backup.other_key_file": {
        ENGLISH: "the backup {path} was made under another master key than the key file "
        "{key_file} holds: give the backup's key with --key-file FILE (its secrets are then "
        "re-sealed under this store's key)",
        CHINESE: "备份 {path} 所用的主密钥与密钥文件 {key_file} 中的不同：请用 --key-file "
        "指定备份的密钥文件（备份中的密钥会改用当前数据库的主密钥重新加密）",
    },
    "key_rotation.running": {
        ENGLISH: "another `teamotp rotate-key` is running: wait for it to finish",
        CHINESE: "另一个 `teamotp rotate-key` 正在运行：请等它结束",
    },
    "key_rotation.key_file_changed": {
        ENGLISH: "the key file {path} no longer holds the key the store was opened with (was "
        "the key rotated meanwhile?): run `teamotp rotate-key` again",
        CHINESE: "密钥文件 {path} 中已不是打开数据库时所用的主密钥（期间主密钥被更换过？）："
        "请重新运行 `teamotp rotate-key`",
    },
    "key_rotation.cannot_replace": {
        ENGLISH: "the store now uses the new key, which is in {pending}, but {path} could not "
        "be replaced with it ({reason}): move {pending} to {path}",
        CHINESE: "数据库现在使用新主密钥（保存在 {pending}），但无法用它替换 {path}（{reason}）："
        "请把 {pending} 移动到 {path}",
    },
    "key_rotation.cannot_write": {
        ENGLISH: "cannot write {path}: {reason}; nothing was changed",
        CHINESE: "无法写入 {path}：{reason}；没有做任何更改",
    },
    "key_rotation.store_key_changed": {
        ENGLISH: "the store's key changed since it was opened (another rotate-key?): nothing "
        "was changed; run `teamotp rotate-key` again",
        CHINESE: "数据库的主密钥在打开之后被更换了（另一个 `teamotp rotate-key`？）：没有做任何更改；"
        "请重新运行 `teamotp rotate-key`",
    },
    "key_rotation.cannot_reseal": {
        ENGLISH: "cannot re-seal the store ({kind}): nothing was changed",
        CHINESE: "无法重新加密数据库（{kind}）：没有做任何更改",
    },
    "key_rotation.running_at_start": {
        ENGLISH: "a master key rotation is running (teamotp rotate-key): start again once it "
        "has finished",
        CHINESE: "正在更换主密钥（teamotp rotate-key）：请等它完成后再启动",
    },
    # --- the store's schema (`teamotp migrate`) ---
    "cli.schema_current": {
        ENGLISH: "The store's schema is up to date ({head}).",
        CHINESE: "数据库结构已是最新（{head}）。",
    },
    "cli.schema_behind": {
        ENGLISH: "The store's schema is {found}; this version needs {head}: run teamotp migrate.",
        CHINESE: "数据库结构为 {found}，此版本需要 {head}：请运行 teamotp migrate。",
    },
    "cli.schema_upgraded": {
        ENGLISH: "Upgraded the store's schema from {found} to {head}.",
        CHINESE: "已将数据库结构从 {found} 升级到 {head}。",
    },
    "cli.schema_none": {ENGLISH: "none (a new store)", CHINESE: "无（新数据库）"},
    "cli.schema_before": {
        ENGLISH: "from before migrations",
        CHINESE: "早于迁移机制的版本",
    },
    "os.permission_denied": {ENGLISH: "permission denied", CHINESE: "没有权限"},
    "os.not_permitted": {ENGLISH: "operation not permitted", CHINESE: "不允许此操作"},
    "os.no_such_file": {ENGLISH: "no such file or folder", CHINESE: "文件或文件夹不存在"},
    "os.is_a_directory": {ENGLISH: "it is a folder", CHINESE: "这是一个文件夹"},
    "os.not_a_directory": {
        ENGLISH: "part of the path is not a folder",
        CHINESE: "路径中有一部分不是文件夹",
    },
    "os.exists": {ENGLISH: "it exists already", CHINESE: "已经存在"},
    "os.no_space": {ENGLISH: "no space left on the disk", CHINESE: "磁盘空间不足"},
    "os.read_only": {ENGLISH: "the file system is read-only", CHINESE: "文件系统是只读的"},
    "schema.several_revisions": {
        ENGLISH: "the store records more than one schema revision",
        CHINESE: "数据库记录了不止一个结构版本",
    },
    "schema.dangling_rows": {
        ENGLISH: "the upgraded store has rows that refer to missing rows",
        CHINESE: "升级后的数据库中有记录引用了不存在的记录",
    },
    "schema.missing_column": {
        ENGLISH: "the store's table {table} lacks the column {column}, which cannot be added "
        "to existing rows",
        CHINESE: "数据库的表 {table} 缺少列 {column}，这一列无法补加到已有的记录中",
    },
    # --- a server set up and checked (`teamotp init`, `teamotp check`) ---
    "cli.check.ok": {ENGLISH: "[ok]", CHINESE: "[通过]"},
    "cli.check.fail": {ENGLISH: "[FAIL]", CHINESE: "[失败]"},
    "cli.check.warn": {ENGLISH: "[warn]", CHINESE: "[注意]"},
    "cli.check.skip": {ENGLISH: "[skip]", CHINESE: "[跳过]"},
    "cli.check.settings_ok": {
        ENGLISH: "Settings are valid ({mode} mode).",
        CHINESE: "配置有效（{mode} 模式）。",
    },
    "cli.check.settings_bad": {ENGLISH: "Settings: {reason}", CHINESE: "配置有误：{reason}"},
    "cli.check.needs_settings": {
        ENGLISH: "Database, master key, stored secrets and Bot API: not checked, as they "
        "need valid settings.",
        CHINESE: "数据库、主密钥、已存密钥和 Bot API：未检查，因为需要先有有效的配置。",
    },
    "cli.check.database_ok": {
        ENGLISH: "The database {database} answers, at this version's schema ({head}).",
        CHINESE: "数据库 {database} 可以连接，结构为此版本的 {head}。",
    },
    # Between two reasons a check failed for, in one line.
    "cli.check.reasons_joined": {ENGLISH: "; ", CHINESE: "；"},
    "cli.check.database_bad": {ENGLISH: "Database: {reason}", CHINESE: "数据库：{reason}"},
    "cli.check.no_store": {
        ENGLISH: "There is no store at {database} yet: run teamotp init (or start the bot, "
        "which makes it).",
        CHINESE: "{database} 还没有数据库：请运行 teamotp init（或启动机器人，它会自动创建）。",
    },
    "cli.check.schema_behind": {
        ENGLISH: "The database {database} answers, but its schema is {found} and this version "
        "needs {head}: run teamotp migrate (with TEAMOTP_AUTO_MIGRATE=0 the bot refuses it).",
        CHINESE: "数据库 {database} 可以连接，但其结构为 {found}，此版本需要 {head}："
        "请运行 teamotp migrate（TEAMOTP_AUTO_MIGRATE=0 时机器人会拒绝启动）。",
    },
    "cli.check.schema_behind_auto": {
        ENGLISH: "The database {database} answers; its schema is {found} and this version "
        "needs {head}: the bot upgrades it at its next start (TEAMOTP_AUTO_MIGRATE=1), or run "
        "teamotp migrate now.",
        CHINESE: "数据库 {database} 可以连接；其结构为 {found}，此版本需要 {head}："
        "机器人下次启动时会自动升级（TEAMOTP_AUTO_MIGRATE=1），也可以现在运行 teamotp migrate。",
    },
    "cli.check.schema_newer": {
        ENGLISH: "The database {database} is at schema {found}, written by a newer version of "
        "teamotp (this one knows up to {head}): run that version.",
        CHINESE: "数据库 {database} 的结构为 {found}，由更新版本的 teamotp 写入"
        "（此版本只到 {head}）：请使用那个版本。",
    },
    "cli.check.where_file": {ENGLISH: "the key file {path}", CHINESE: "密钥文件 {path}"},
    "cli.check.where_env": {
        ENGLISH: "the key in TEAMOTP_MASTER_KEY",
        CHINESE: "TEAMOTP_MASTER_KEY 中的密钥",
    },
    "cli.check.key_ok": {
        ENGLISH: "The master key ({where}) matches the store.",
        CHINESE: "主密钥（{where}）与数据库匹配。",
    },
    "cli.check.key_wrong": {
        ENGLISH: "The master key ({where}) does not match the store: it was written with "
        "another key. Put back the key it was made with (your copy of the key file).",
        CHINESE: "主密钥（{where}）与数据库不匹配：数据库是用另一把密钥写入的。"
        "请放回当初的密钥（你备份的密钥文件）。",
    },
    "cli.check.key_bad": {ENGLISH: "Master key: {reason}", CHINESE: "主密钥：{reason}"},
    "cli.check.key_rotation": {
        ENGLISH: "A master key rotation was cut short after it re-sealed the store: the new "
        "key ({path}) opens it, and the bot's next start finishes the rotation.",
        CHINESE: "主密钥更换在重新加密数据库之后中断：新密钥（{path}）可以打开数据库，"
        "机器人下次启动时会完成更换。",
    },
    "cli.check.key_skipped": {
        ENGLISH: "Master key: not checked, as {why}.",
        CHINESE: "主密钥：未检查，因为{why}。",
    },
    "cli.check.secrets_skipped": {
        ENGLISH: "Stored secrets: not checked, as {why}.",
        CHINESE: "已存密钥：未检查，因为{why}。",
    },
    "cli.check.secrets_ok": {
        ENGLISH: "All {count} stored secrets open and give codes.",
        CHINESE: "全部 {count} 个已存密钥都能解开并生成验证码。",
    },
    "cli.check.secrets_none": {
        ENGLISH: "No accounts yet, so no stored secret to open.",
        CHINESE: "还没有账号，没有需要解开的密钥。",
    },
    "cli.check.secrets_broken": {
        ENGLISH: "The stored secrets of {count} of {total} accounts do not open (changed "
        "outside the bot): {names}. Remove those accounts and add them again.",
        CHINESE: "{total} 个账号中有 {count} 个的已存密钥无法解开（在机器人之外被修改）："
        "{names}。请删除这些账号后重新添加。",
    },
    "cli.check.secrets_unreadable": {
        ENGLISH: "Stored secrets: the database did not give them ({reason}).",
        CHINESE: "已存密钥：无法从数据库读取（{reason}）。",
    },
    "cli.check.network_skipped": {
        ENGLISH: "Bot API, privacy mode and clock: not checked, as {why}.",
        CHINESE: "Bot API、隐私模式和时钟：未检查，因为{why}。",
    },
    "cli.check.api_ok": {
        ENGLISH: "The Bot API at {url} answers and takes the token: the bot is @{username} "
        "(id {id}).",
        CHINESE: "{url} 的 Bot API 可以连接并接受令牌：机器人为 @{username}（ID {id}）。",
    },
    "cli.check.api_unreachable": {
        ENGLISH: "The Bot API at {url} cannot be reached ({reason}): check the server's "
        "network, DNS and proxy, or TEAMOTP_API_URL.",
        CHINESE: "无法连接 {url} 的 Bot API（{reason}）：请检查服务器的网络、DNS 和代理，"
        "或 TEAMOTP_API_URL。",
    },
    "cli.check.token_refused": {
        ENGLISH: "The Bot API at {url} refused the token ({status} {description}): copy it "
        "again from @BotFather (/mybots, API Token) into TEAMOTP_BOT_TOKEN.",
        CHINESE: "{url} 的 Bot API 拒绝了令牌（{status} {description}）："
        "请从 @BotFather（/mybots，API Token）重新复制到 TEAMOTP_BOT_TOKEN。",
    },
    "cli.check.api_error": {
        ENGLISH: "The Bot API at {url} answered getMe with {status} {description}.",
        CHINESE: "{url} 的 Bot API 对 getMe 的应答为 {status} {description}。",
    },
    "cli.check.not_bot_api": {
        ENGLISH: "{reason}, and the reply is not Bot API JSON (is TEAMOTP_API_URL the Bot API?)",
        CHINESE: "{reason}，且应答不是 Bot API 的 JSON（TEAMOTP_API_URL 指向的是 Bot API 吗？）",
    },
    "cli.check.privacy_on": {
        ENGLISH: "Privacy mode is on: in groups the bot gets only commands, replies to its "
        "own messages and mentions (every message where it is an admin). That is all teamotp "
        "needs, and the group's chat stays away from the bot.",
        CHINESE: "隐私模式已开启：在群里机器人只收到命令、对它消息的回复和提及"
        "（在它担任管理员的群里收到全部消息）。teamotp 只需要这些，群里的日常聊天也不会经过机器人。",
    },
    "cli.check.privacy_off": {
        ENGLISH: "Privacy mode is off: the bot gets every message of its groups. teamotp works "
        "so, but needs only commands and replies to its own messages: turn privacy mode on in "
        "@BotFather (/setprivacy, Enable) so the group's chat stays away from the bot; a group "
        "the bot is in already takes the change once the bot is removed and added again.",
        CHINESE: "隐私模式已关闭：机器人会收到所在群的每一条消息。teamotp 照常工作，"
        "但只需要命令和对它消息的回复：请在 @BotFather 中开启隐私模式（/setprivacy，Enable），"
        "让群里的日常聊天不经过机器人；已加入的群需要把机器人移除再重新加入才会生效。",
    },
    "cli.check.privacy_unknown": {
        ENGLISH: "Privacy mode: getMe does not say (no can_read_all_group_messages).",
        CHINESE: "隐私模式：getMe 的应答中没有 can_read_all_group_messages，无法判断。",
    },
    "cli.check.privacy_skipped": {
        ENGLISH: "Privacy mode: not checked, as {why}.",
        CHINESE: "隐私模式：未检查，因为{why}。",
    },
    "cli.check.clock_ok": {
        ENGLISH: "The server's clock is {seconds} s off Telegram's: fine (the bot warns "
        "beyond {limit} s).",
        CHINESE: "服务器时钟与 Telegram 相差 {seconds} 秒：正常（超过 {limit} 秒时机器人会发出警告）。",
    },
    "cli.check.clock_ahead": {
        ENGLISH: "The server's clock is about {seconds} s ahead of Telegram's (more than "
        "{limit} s): codes depend on the time, and sites may refuse them. Fix the server's "
        "clock (enable NTP).",
        CHINESE: "服务器时钟比 Telegram 快约 {seconds} 秒（超过 {limit} 秒）：验证码依赖时间，"
        "网站可能会拒绝。请校准服务器时钟（启用 NTP）。",
    },
    "cli.check.clock_behind": {
        ENGLISH: "The server's clock is about {seconds} s behind Telegram's (more than "
        "{limit} s): codes depend on the time, and sites may refuse them. Fix the server's "
        "clock (enable NTP).",
        CHINESE: "服务器时钟比 Telegram 慢约 {seconds} 秒（超过 {limit} 秒）：验证码依赖时间，"
        "网站可能会拒绝。请校准服务器时钟（启用 NTP）。",
    },
    "cli.check.clock_unknown": {
        ENGLISH: "Clock: the Bot API's answer has no Date header to compare with.",
        CHINESE: "时钟：Bot API 的应答没有可供比较的 Date 头。",
    },
    "cli.check.clock_skipped": {
        ENGLISH: "Clock: not checked, as {why}.",
        CHINESE: "时钟：未检查，因为{why}。",
    },
    "cli.check.why_no_database": {
        ENGLISH: "the database cannot be read",
        CHINESE: "无法读取数据库",
    },
    "cli.check.why_no_store": {ENGLISH: "there is no store yet", CHINESE: "还没有数据库"},
    "cli.check.why_schema": {
        ENGLISH: "the store's schema is not this version's",
        CHINESE: "数据库结构不是此版本的",
    },
    "cli.check.why_no_key": {
        ENGLISH: "no master key opens the store",
        CHINESE: "没有能打开数据库的主密钥",
    },
    "cli.check.why_no_key_check": {
        ENGLISH: "the store holds no key check value yet (the bot writes one at its first start)",
        CHINESE: "数据库中还没有密钥校验值（机器人首次启动时写入）",
    },
    "cli.check.why_unbound": {
        ENGLISH: "they are bound to their accounts as an earlier version did it (the bot's "
        "next start binds them anew)",
        CHINESE: "它们仍按旧版本的方式与账号绑定（机器人下次启动时会重新绑定）",
    },
    "cli.check.why_offline": {ENGLISH: "--offline was given", CHINESE: "指定了 --offline"},
    "cli.check.why_no_token": {
        ENGLISH: "TEAMOTP_BOT_TOKEN is not set",
        CHINESE: "未设置 TEAMOTP_BOT_TOKEN",
    },
    "cli.check.why_no_answer": {
        ENGLISH: "the Bot API did not answer getMe",
        CHINESE: "Bot API 没有正常应答 getMe",
    },
    "cli.check.why_refused": {
        ENGLISH: "the Bot API refused the token",
        CHINESE: "Bot API 拒绝了令牌",
    },
    "cli.check.summary_ok": {ENGLISH: "All checks passed.", CHINESE: "全部检查通过。"},
    "cli.check.summary_warned": {
        ENGLISH: "No check failed; {count} gave a warning.",
        CHINESE: "没有失败的检查；{count} 项有警告。",
    },
    "cli.check.summary_failed": {
        ENGLISH: "{count} of {total} checks failed.",
        CHINESE: "{total} 项检查中有 {count} 项失败。",
    },
    "cli.init.made_dir": {
        ENGLISH: "Created the data directory {path}.",
        CHINESE: "已创建数据目录 {path}。",
    },
    "cli.init.made_key": {
        ENGLISH: "Created the master key file {path} (mode 0600).",
        CHINESE: "已创建主密钥文件 {path}（权限 0600）。",
    },
    "cli.init.kept_key": {
        ENGLISH: "Using the master key file that was there: {path}.",
        CHINESE: "使用已有的主密钥文件：{path}。",
    },
    "cli.init.env_key": {
        ENGLISH: "Using the master key in TEAMOTP_MASTER_KEY (no key file).",
        CHINESE: "使用 TEAMOTP_MASTER_KEY 中的主密钥（不使用密钥文件）。",
    },
    "cli.init.made_store": {
        ENGLISH: "Created the store in {database} (schema {head}).",
        CHINESE: "已在 {database} 中创建数据库（结构 {head}）。",
    },
    "cli.init.already": {
        ENGLISH: "Already set up: the store in {database} (schema {found}) opens with {where}. "
        "Nothing was changed.",
        CHINESE: "已经初始化：{database} 中的数据库（结构 {found}）可以用{where}打开。未做任何更改。",
    },
    "cli.init.already_behind": {
        ENGLISH: "Its schema is {found} and this version needs {head}: run teamotp migrate "
        "(the bot's start also upgrades it, unless TEAMOTP_AUTO_MIGRATE=0).",
        CHINESE: "其结构为 {found}，此版本需要 {head}：请运行 teamotp migrate"
        "（除非 TEAMOTP_AUTO_MIGRATE=0，机器人启动时也会自动升级）。",
    },
    "cli.init.next": {ENGLISH: "Next steps:", CHINESE: "接下来："},
    "cli.init.step_token": {
        ENGLISH: "1. Set TEAMOTP_BOT_TOKEN to the token from @BotFather, in the environment "
        "or in .env.",
        CHINESE: "1. 把 TEAMOTP_BOT_TOKEN 设为 @BotFather 给的令牌（环境变量或 .env 文件）。",
    },
    "cli.init.step_token_set": {
        ENGLISH: "1. TEAMOTP_BOT_TOKEN is set (teamotp check asks Telegram whether it is valid).",
        CHINESE: "1. 已设置 TEAMOTP_BOT_TOKEN（teamotp check 会向 Telegram 确认它是否有效）。",
    },
    "cli.init.step_owner": {
        ENGLISH: "2. Become the owner: set TEAMOTP_OWNER_IDS to your numeric Telegram user id "
        "(the bot's /start shows it), or start the bot and send it, in a private chat, the "
        "/claim CODE its log shows (the first to claim becomes owner).",
        CHINESE: "2. 成为所有者：把 TEAMOTP_OWNER_IDS 设为你的 Telegram 数字 ID（向机器人发送 /start "
        "即可看到）；或者启动机器人，在私聊中把日志里显示的 /claim 代码 发给它（第一个认领的人成为所有者）。",
    },
    "cli.init.step_owner_set": {
        ENGLISH: "2. Owners are set in TEAMOTP_OWNER_IDS: {ids}.",
        CHINESE: "2. 已在 TEAMOTP_OWNER_IDS 中设置所有者：{ids}。",
    },
    "cli.init.step_backup_file": {
        ENGLISH: "3. Copy the key file {path} somewhere other than this server, and keep it "
        "private: without it the stored secrets cannot be read, and backups do not hold it.",
        CHINESE: "3. 把密钥文件 {path} 复制到这台服务器以外的地方并妥善保管："
        "没有它，已存的密钥无法读取，备份中也不包含它。",
    },
    "cli.init.step_backup_env": {
        ENGLISH: "3. Keep a copy of TEAMOTP_MASTER_KEY somewhere other than this server: "
        "without it the stored secrets cannot be read, and backups do not hold it.",
        CHINESE: "3. 把 TEAMOTP_MASTER_KEY 的副本保存在这台服务器以外的地方："
        "没有它，已存的密钥无法读取，备份中也不包含它。",
    },
    "cli.init.step_run": {
        ENGLISH: "4. Run teamotp check to see that everything is in place, then teamotp run.",
        CHINESE: "4. 运行 teamotp check 确认一切就绪，然后运行 teamotp run。",
    },
}
