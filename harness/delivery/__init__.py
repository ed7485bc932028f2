"""Delivery: where calls go and one call, judged.

Targets (WSGI and ASGI apps in-process, URLs), the transport with its deadlines
and redirects, captured output, the findings of one call and their hints, and the
hardened server with its TLS.  Nothing here is imported by name from this
package: the public names are in ``harness.checks`` and ``harness`` itself.
"""
