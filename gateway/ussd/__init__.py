"""The USSD channel in the gateway: the rules of USSD sessions (`gateway.ussd.service`)."""
