"""Car Pulse Tracker shared library: Tesla client, Google adapters, services, report."""
