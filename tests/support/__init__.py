"""Two throwaway contexts used only by tests to exercise the event backbone across app boundaries:
`ping` publishes from a service, `pong` subscribes in its handlers. They are installed only by
config.settings.test and follow the same module rules as the real apps.
"""
