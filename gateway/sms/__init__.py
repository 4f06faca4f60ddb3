"""The SMS channel in the gateway: providers' senders, delivery reports, opt-outs, short numbers,
and the service that turns an incoming text into a reply in the outbox (`gateway.sms.service`)."""
