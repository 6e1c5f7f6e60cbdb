"""Outgoing e-mail through an outbox: every mail is stored before it is sent,
so none is silently lost, and the Bildungsbüro can see what went out."""
