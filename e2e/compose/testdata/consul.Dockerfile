# A test image of Consul for where hashicorp/consul cannot be pulled: the
# agent `make consul` builds from source into bin/consul, FROM scratch. Its
# build context is bin/consul and the empty bin/.empty alone
# (`make consul-image`). docker-compose.yml's consul service runs it as it
# runs the upstream image: `agent -dev -client 0.0.0.0`, and `consul` on the
# PATH for the health check.
FROM scratch

# Writable directories for the agent, which runs as 65532 (nonroot).
COPY --chown=65532:65532 .empty/ /tmp/
COPY --chown=65532:65532 .empty/ /consul/data/
COPY consul /bin/consul

USER 65532:65532
EXPOSE 8500
ENTRYPOINT ["/bin/consul"]
CMD ["agent", "-dev", "-client", "0.0.0.0"]
