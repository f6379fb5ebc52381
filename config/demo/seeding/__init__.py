"""The demo operator's seeding, one module per thing it seeds (see config/demo/README.md). `config.demo.operator`
runs them in the order the product would make things; each takes the run's `Seeding` (its random generator, clock,
progress and report) first."""
