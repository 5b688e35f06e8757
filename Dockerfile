# Build: a static binary (pure-Go SQLite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/suarawarga ./cmd/suarawarga
RUN mkdir -p /out/data && echo 'suarawarga:x:10001:10001:Suara Warga:/data:/sbin/nologin' > /out/passwd

# Run: nothing but the binary, CA certificates (for the Telegram API) and a non-root user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/passwd /etc/passwd
COPY --from=build --chown=10001:10001 /out/data /data
COPY --from=build /out/suarawarga /suarawarga
USER 10001:10001
WORKDIR /data
ENV DATABASE_URL=sqlite:/data/suarawarga.db \
    DATA_DIR=/data \
    HTTP_ADDR=:8080 \
    TZ=Asia/Jakarta
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/suarawarga"]
CMD ["serve"]
