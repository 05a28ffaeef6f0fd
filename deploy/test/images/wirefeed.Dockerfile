# Test stand-in for deploy/Dockerfile's image (the rust builder image cannot be
# pulled here): the host's release binary and the glibc libraries ldd names,
# laid out in rootfs/ by compose-test.sh, on scratch. Same user, paths,
# environment and entrypoint as the shipped image.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    WIREFEED_INBOX_DIR=/spool/inbox \
    WIREFEED_PROCESSED_DIR=/spool/processed \
    WIREFEED_REJECTED_DIR=/spool/rejected \
    WIREFEED_OUTBOX_DIR=/spool/outbox \
    WIREFEED_INBOX_PROCESSED_DIR=/spool/processed \
    WIREFEED_INBOX_REJECTED_DIR=/spool/rejected \
    WIREFEED_EMBEDDED_OUTBOX_DIR=/spool/outbox \
    WIREFEED_METRICS_LISTEN=0.0.0.0:9464 \
    WIREFEED_LOG_FORMAT=json \
    WIREFEED_ROLE=all
USER 10001:10001
WORKDIR /spool
EXPOSE 9464
ENTRYPOINT ["wirefeed"]
CMD ["run"]
