"""The six bounded contexts. Each owns its data; they meet only through api, contracts and events."""
