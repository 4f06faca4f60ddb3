"""What the people who run Pishkhan watch: Prometheus metrics (`metrics`, `collectors`, `endpoint`,
`multiprocess`) and structured logs carrying a request id (`logs`).

A low package: the hop path, the outbox and the stores call into it, it calls into none of them
except to read at scrape time what the gateway hands its collector."""
