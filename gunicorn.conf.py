"""gunicorn's settings for Valliance, read by `gunicorn wsgi:app` run from the project's root.

gevent workers: each request is a greenlet, and a till's kept-alive connection is served by
the same greenlet from one sale to the next. gunicorn's threaded worker hands every request
from its event loop to a thread and back again, and on the POS benchmark that cost more CPU
than the purchase itself: docs/benchmarks.md. The app is safe under gevent: psycopg waits
cooperatively once gevent has patched the standard library (psycopg ≥ 3.1.14), and the one
slow call on the CPU, the password hash, runs in gevent's thread pool (valliance/passwords.py).

Command-line flags override these (`gunicorn -w 8 wsgi:app`), and so does GUNICORN_CMD_ARGS.
"""

import multiprocessing

worker_class = "gevent"
# one per core: a gevent worker goes on with other requests while one waits on PostgreSQL,
# and more processes only switch more (on 2 cores, 2 workers sold 1.3 times as many purchases
# a second as 4 did, and as gthread's 4 × 2 or 2 × 4 threads: docs/benchmarks.md)
workers = multiprocessing.cpu_count()
# at most this many connections per worker at a time (tills, portal users, operators)
worker_connections = 1000
# tills and the reverse proxy keep their connections between requests
keepalive = 30
bind = "127.0.0.1:8000"
