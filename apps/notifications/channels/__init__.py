"""Outbound channels behind one small interface (`base.Adapter`): email, SMS and push to people. Which adapter
serves a channel is chosen by settings, so a deployment swaps providers without touching the senders."""
