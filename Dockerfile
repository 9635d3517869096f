# The service's image (`make image`; docs/production.md, "Container").
#
# The builder installs the exact versions of requirements/runtime.txt, hashes
# checked, and then the service itself into a virtualenv; the final stage is a
# clean base with that virtualenv copied in: no pip cache, no build tools, no
# dev extras. Migrations are a one-off run of the same image
# (`python -m app.core.migrations upgrade`, compose.yaml's "migrate").

# Any image with python, venv and useradd; the official slim one by default.
ARG PYTHON_IMAGE=python:3.13-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/venv
# Wheels only: the final image has no compiler, so nothing may need one here.
COPY requirements/runtime.txt /tmp/runtime.txt
RUN /opt/venv/bin/pip install --require-hashes --only-binary :all: \
        --requirement /tmp/runtime.txt
# The service as a wheel, without its tests. Every module's bytecode is
# written here, so no process in the image compiles, and pip itself leaves:
# production installs nothing.
COPY pyproject.toml README.md LICENSE /src/
COPY converters /src/converters
COPY app /src/app
RUN /opt/venv/bin/pip install --no-deps /src \
    && /opt/venv/bin/pip uninstall --yes --quiet pip setuptools \
    && /opt/venv/bin/python -m compileall -q /opt/venv

FROM ${PYTHON_IMAGE}
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY hypercorn.toml ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=production
USER app
EXPOSE 8000
# Python, no curl. HTTP/1.0 without a Host header, which TRUSTED_HOSTS lets
# through (there is no host to check), so the probe needs no host name.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import socket; s = socket.create_connection(('127.0.0.1', 8000), 2); s.sendall(b'GET /healthz HTTP/1.0\\r\\n\\r\\n'); assert s.recv(12) == b'HTTP/1.1 200'"]
# Hypercorn with the production profile: hypercorn.toml, then every
# interface and a worker per CPU unless BIND and WORKERS say otherwise. The
# shell reads those and then execs, so that Hypercorn's main process is
# PID 1 and takes `docker stop`'s SIGTERM itself; its workers finish their
# in-flight requests within graceful_timeout, so give `docker stop` more.
CMD ["sh", "-c", "exec hypercorn --config hypercorn.toml --bind \"${BIND:-0.0.0.0:8000}\" --workers \"${WORKERS:-$(nproc)}\" app.asgi:app"]
