# Crossfade sidecar image. Build: docker build -t crossfade .
# Stage 1 builds with the same command the README uses; stage 2 is a small JRE image, non-root.
# Base images are pinned to exact releases on Ubuntu 24.04, so a rebuild gets the same JDKs; raise
# them deliberately. The build runs on Temurin 17.0.15+6, as the tests do: Maven applies the
# JDK-activated profiles of dependency POMs with the JDK it runs on, and vertx-core's for JDK 21+
# adds Jackson 3 to the jar. The classes are Java 17 bytecode (maven.compiler.release); the runtime
# is a Temurin 25.0.3+9 JRE, for its AOT cache (below).
FROM eclipse-temurin:17.0.15_6-jdk-noble AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY config/ config/
COPY sidecar/ sidecar/
COPY client-lib/ client-lib/
COPY client-it/ client-it/
# BuildKit cache mount: Maven and the dependencies it downloads stay between builds, so a source
# change does not download them again (the cache is not part of any layer).
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -DskipTests package

FROM eclipse-temurin:25.0.3_9-jre-noble
RUN groupadd --system --gid 10001 crossfade \
 && useradd --system --uid 10001 --gid crossfade --home-dir /var/lib/crossfade --shell /usr/sbin/nologin crossfade \
 && mkdir -p /etc/crossfade/settings /var/lib/crossfade /opt/crossfade \
 && chown crossfade:crossfade /var/lib/crossfade
COPY --from=build /src/sidecar/target/crossfade-sidecar.jar /opt/crossfade/crossfade-sidecar.jar
COPY bin/train-cds-archive /opt/crossfade/train-cds-archive
COPY examples/settings/ /etc/crossfade/settings/

# Settings are mounted read-only (e.g. a ConfigMap) at /etc/crossfade/settings; durable state lives
# in /var/lib/crossfade (mount a volume to keep operator decisions across pod restarts). The read
# API stays on loopback (the service shares the pod's network); health, metrics and admin are
# reachable from outside the pod.
ENV CROSSFADE_SETTINGS=/etc/crossfade/settings \
    CROSSFADE_STATE=/var/lib/crossfade \
    CROSSFADE_LISTEN=127.0.0.1:7070 \
    CROSSFADE_OPS_LISTEN=0.0.0.0:7071 \
    CROSSFADE_LOG_FORMAT=json
# JVM flags for a sidecar, chosen by measurement (BENCHMARKS.md, "JVM flags for the image"); bin/crossfade
# runs the sidecar with the same line, and both append CROSSFADE_JAVA_OPTS, whose flags win:
# - SerialGC: the smallest RSS at the highest read throughput of Serial, Parallel and G1 on 1-2 CPUs;
# - a fixed 64 MiB heap ceiling (10 000 settings live in 11 MiB), the same in every container and on
#   a laptop, where a share of RAM would let the heap grow to hundreds of MiB; direct memory (Netty's
#   buffers) is bounded by the same figure. The README gives the container limit that goes with it.
#   It starts at 16 MiB: an initial heap of the whole 64 MiB (the JVM's choice on a large host) was
#   16 MiB more RSS under load, one of 8 MiB 11 MiB more (more promotion, a larger old generation);
# - C2 kept (C1 only, -XX:TieredStopAtLevel=1, saves about a quarter of the RSS but halves throughput);
# - the AOT cache recorded below (JDK 25, JEP 483): classes are mapped from it already loaded and
#   linked, instead of loaded, verified and linked at every start;
# - exit (and be restarted) rather than limp on after an OutOfMemoryError;
# - native access for Netty, which loads its io_uring/epoll transport with System.loadLibrary: JDK 25
#   otherwise prints a four-line warning on stderr, which is not a JSON log line (JDK 17 accepts the flag).
ENV JAVA_OPTS="-XX:+UseSerialGC -Xms16m -Xmx64m -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED -XX:AOTCache=/opt/crossfade/crossfade.aot"
# The AOT cache, recorded by this image's JVM with the JAVA_OPTS above, in one training run
# (-XX:AOTCacheOutput, JEP 514): the sidecar serves the bundled examples for a few requests and
# stops. A cache only serves the JVM build, jar and flags it was recorded with; under others the JVM
# logs why ([warning][aot] ...) and starts without it.
RUN /opt/crossfade/train-cds-archive java /opt/crossfade/crossfade-sidecar.jar /opt/crossfade/crossfade.aot /etc/crossfade/settings $JAVA_OPTS

USER crossfade
EXPOSE 7070 7071
VOLUME /var/lib/crossfade
# The health check asks the ops listener where CROSSFADE_OPS_LISTEN puts it (a wildcard host is
# asked on loopback), so `-e CROSSFADE_OPS_LISTEN=0.0.0.0:9091` moves the check with the port.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD bash -c 'ops="${CROSSFADE_OPS_LISTEN:-0.0.0.0:7071}"; host="${ops%:*}"; port="${ops##*:}"; case "$host" in ""|0.0.0.0|"[::]"|"*") host=127.0.0.1;; esac; exec 3<>"/dev/tcp/$host/$port" && printf "GET /health HTTP/1.0\r\n\r\n" >&3 && head -1 <&3 | grep -q " 200 "'
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS $CROSSFADE_JAVA_OPTS -jar /opt/crossfade/crossfade-sidecar.jar \"$@\"", "crossfade"]
CMD ["serve"]
