"""MTProto 2.0, server side: transports, the auth-key exchange, encrypted sessions."""
