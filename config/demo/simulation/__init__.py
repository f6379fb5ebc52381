"""The simulator's agents, one module each (drivers, customers, dispatchers), and what they share: `client` (one
user's session against the REST API) and `settings` (the run's settings and counters). `config.demo.simulator`
starts them."""
