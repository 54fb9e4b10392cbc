"""Outbound and inbound texts: the outbox and its transports."""
