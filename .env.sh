cd /work/wt/webhooks
export PATH=/work/wt/webhooks/.venv/bin:$PATH DJANGO_SETTINGS_MODULE=config.settings.test
export DATABASE_URL=postgres://logitrack:logitrack@127.0.0.1:5432/logitrack_webhooks
export TEST_DATABASE_URL=$DATABASE_URL
export REDIS_URL=redis://127.0.0.1:6379/7  TEST_REDIS_URL=redis://127.0.0.1:6379/7
