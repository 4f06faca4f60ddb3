"""Identity check: whether a mobile number belongs to a national code, before a request is submitted."""
