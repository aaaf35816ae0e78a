"""The bot: the team's rules (`bot.rules`, no Telegram) and the Telegram side (`bot.chat`)."""
