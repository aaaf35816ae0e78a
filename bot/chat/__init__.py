"""The Telegram side: the gate, the handlers, rendering and delivery of replies."""
