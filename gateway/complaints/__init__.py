"""Complaints and suggestions from citizens, about a service or about a request by its tracking code.

lifecycle (statuses, errors), store (SQL), service (filing, answering, telling the citizen), texts (what
the citizen reads), actions (the flow actions), setup (building the service). Nothing is imported
here, so the catalogue's flow can import the lifecycle's limits without a cycle.
"""
