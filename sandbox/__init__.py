"""Stand-ins for Pleo and Odoo, used by the tests, the demo and the benchmarks. Never in production."""
