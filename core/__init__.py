"""Shared machinery every app may use: domain events, sweeps over due rows, queueing
after commit, text sanitizing, domain errors, the UNSET sentinel, admin forms that save
through services. It imports none of our apps."""
