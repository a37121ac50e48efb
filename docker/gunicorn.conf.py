"""gunicorn settings of the portal, for the image (docker/) and for `make run` alike; each can
be changed through the environment."""
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('GOVSHARE_PORT', '5000')}")
# Processes from the core count (gunicorn's advice: 2-4 per core), threads within each: a
# client slow to send its request holds one thread, not a process. A worker takes no more
# connections than it has threads, so the ones it cannot serve wait for another worker
# instead of queueing behind its stalled ones; a connection that sends nothing for 5 s is
# parked and then closed. Only workers × threads clients stalled at once can fill the
# server: `make run` has no nginx in front (docker/'s buffers whole requests first).
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * (os.cpu_count() or 1) + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_connections = threads
# No keep-alive (nginx talks HTTP/1.0 to its upstream anyway): an idle kept-alive
# connection would hold a thread's place.
keepalive = 0
# A worker whose main loop is silent this long is killed and replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then (CKAN keeps caches per process).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# No preload: every worker imports CKAN after the fork, so database and Redis
# connections are never shared between processes.
preload_app = False
# X-Forwarded-* are believed only from the proxy in front: the compose passes its networks;
# `make run` has none, so only this machine may claim them.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Heartbeat files in memory rather than on a container's overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Logs: access and errors to standard output (the container log; .stack/ckan/ckan.log for
# `make run`).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# gunicorn >= 25 opens a control socket under $HOME by default; not needed here.
control_socket_disable = True


def post_fork(server, worker):
    """A worker (re)started while PostgreSQL is away (max_requests recycles them) waits for
    it, up to half the worker timeout: CKAN reads the database while loading, and gunicorn
    stops every worker when one fails to boot."""
    import sys
    import time

    import sqlalchemy
    from ckan.cli import load_config
    from sqlalchemy.pool import NullPool

    url = os.environ.get("CKAN_SQLALCHEMY_URL") or load_config(
        os.environ.get("CKAN_INI", "/srv/app/run/ckan.ini"))["sqlalchemy.url"]
    engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    deadline = time.monotonic() + timeout / 2
    try:
        while True:
            try:
                with engine.connect():
                    return
            except sqlalchemy.exc.OperationalError:
                if time.monotonic() > deadline:
                    return  # the worker then fails to boot, as without this wait
                # (gunicorn's logger is off in the worker once CKAN's ini configured logging)
                print(f"database unreachable: worker {worker.pid} waits for it", file=sys.stderr,
                      flush=True)
                time.sleep(2)
    finally:
        engine.dispose()
