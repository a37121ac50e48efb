"""gunicorn settings of the govshare CKAN image; each can be changed through the environment."""
import os

bind = f"0.0.0.0:{os.environ.get('GOVSHARE_PORT', '5000')}"
# Sync workers: nginx in front buffers slow clients and request bodies (uploads).
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
# Recycle workers now and then (CKAN keeps caches per process).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# No preload: every worker imports CKAN after the fork, so database and Redis
# connections are never shared between processes.
preload_app = False
# gunicorn is only reachable from nginx on the compose network; trust its X-Forwarded-*.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "*")
# Heartbeat files in memory rather than on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"
# Logs: access and errors to the container log (formatted by production.ini's loggers).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# gunicorn >= 25 opens a control socket under $HOME by default; not needed here.
control_socket_disable = True
