# syntax=docker/dockerfile:1
# The pcfdemo image: pcfdemo-web and pcfdemo-worker on Debian 12, run as a non-root user.
#
#   docker build -t pcfdemo:0.1.0 .
#   docker run --rm -p 8080:8080 pcfdemo:0.1.0                      # standalone web app
#   docker run --rm pcfdemo:0.1.0 pcfdemo-worker request --help       # a worker
#
# Stage "build" compiles with the -dev packages; the final stage holds the two programs and
# only the shared libraries they load (tests/platform/check_dockerfile.py compares this list
# with the libraries the built programs actually need).

ARG DEBIAN_IMAGE=debian:12-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libpistache-dev libmemcached-dev libsoci-dev libboost-dev default-libmysqlclient-dev \
      libsqlite3-dev libcurl4-openssl-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY libpcfdemo/ libpcfdemo/
COPY frontends/ frontends/
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DPCFDEMO_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target pcfdemo-web pcfdemo-worker \
 && install -D -m 0755 -s /build/pcfdemo-web /out/usr/local/bin/pcfdemo-web \
 && install -D -m 0755 -s /build/pcfdemo-worker /out/usr/local/bin/pcfdemo-worker

FROM ${DEBIAN_IMAGE}
LABEL org.opencontainers.image.title="pcfdemo" \
      org.opencontainers.image.description="pcfdemo-web and pcfdemo-worker: see what a cloud platform does with an app"
# Runtime libraries only: Pistache (HTTP server), libmemcached (+ SASL PLAIN for hosted
# memcached), SOCI with its MySQL and SQLite3 backends, the MariaDB client library, SQLite,
# libcurl, and CA certificates for https destinations.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libstdc++6 libpistache0 libmemcached11 libmemcachedutil2 libsasl2-2 libsasl2-modules \
      libsoci-core4.0 libsoci-mysql4.0 libsoci-sqlite3-4.0 libmariadb3 libsqlite3-0 \
      libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 pcfdemo \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/pcfdemo --shell /usr/sbin/nologin pcfdemo \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/pcfdemo
COPY --from=build /out/ /
# Fails the build if a library the programs need is missing from the list above.
RUN ! ldd /usr/local/bin/pcfdemo-web /usr/local/bin/pcfdemo-worker | grep -F "not found"

USER 10001:10001
WORKDIR /var/lib/pcfdemo
ENV PORT=8080 \
    PCFDEMO_DATA_DIR=/var/lib/pcfdemo
EXPOSE 8080
# pcfdemo-web stops cleanly on SIGTERM (the default stop signal).
CMD ["pcfdemo-web"]
