# Test stand-in for prom/prometheus:v2.x: Debian's prometheus binary and the
# libraries ldd names, plus probe.c as /usr/bin/wget for the health check. Like
# the real image: runs as nobody, data in /prometheus (owned by nobody, so a new
# named volume mounted there is writable), entrypoint /bin/prometheus.
FROM scratch
COPY rootfs/ /
COPY --chown=65534:65534 data/ /prometheus/
ENV PATH=/bin:/usr/bin
USER 65534:65534
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
