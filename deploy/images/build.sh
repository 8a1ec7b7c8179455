#!/usr/bin/env bash
# Builds every image docker-compose.yml runs, tagged regent/<name>:dev (REGENT_IMAGE_TAG for another tag):
#
#   java-runtime       Debian + OpenJDK 17 + curl: the first layer of every Java image; demo-setup runs in it
#   registry-service   failover-service   monitor-service   api-gateway
#                      each module's src/main/docker/Dockerfile.jvm with its target/quarkus-app
#   kafka              Kafka 4.1.2 broker and tools from Maven Central (deploy/images/kafka/pom.xml)
#   keycloak           Keycloak 26.5.6 from Maven Central (deploy/images/keycloak/pom.xml)
#   postgres           PostgreSQL 15 from Debian (the registry's database)
#   node               PostgreSQL 15 + the monitor agent in node mode: one database node of the demo cluster
#   haproxy            HAProxy from Debian: the demo cluster's router, checking each node's agent
#   prometheus         Prometheus from Debian: the optional monitoring profile (built only when named:
#                      deploy/images/build.sh prometheus)
#
#   ./mvnw package -DskipTests       # first: the services' target/quarkus-app
#   deploy/images/build.sh           # all of them; or some: deploy/images/build.sh kafka node
#
# Every image is built FROM one base image, BASE_IMAGE:
#   - the BASE_IMAGE environment variable when set (any Debian bookworm image with apt);
#   - else debian:bookworm-slim or regent/debian-base:bookworm when present locally;
#   - else debian:bookworm-slim when it can be pulled;
#   - else (no registry reachable, only a Debian mirror) regent/debian-base:bookworm is made here with
#     debootstrap --variant=minbase (as root; DEBIAN_MIRROR, default http://deb.debian.org/debian).
# Every Dockerfile declares ARG BASE_IMAGE=debian:bookworm-slim, so `docker build` without it pulls that.
#
# Maven runs (the repository's ./mvnw) only when deploy/images/kafka or keycloak has no target/ newer than its
# pom.xml. Docker's layer cache does the rest: a second run with nothing changed takes seconds. Each build's
# output goes to deploy/images/target/logs/<name>.log; a failed build prints its end.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
images=$root/deploy/images
tag=${REGENT_IMAGE_TAG:-dev}
logs=$images/target/logs
all=(java-runtime registry-service failover-service monitor-service api-gateway kafka keycloak postgres node haproxy)
optional=(prometheus) # only when named: docker-compose.yml's monitoring profile
services=(registry-service failover-service monitor-service api-gateway)

die() {
  echo "build.sh: $*" >&2
  exit 1
}

now() { date +%s%N; }

# seconds since START (nanoseconds), one decimal
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", (e - s) / 1e9 }'; }

usage() {
  sed -n '2,28p' "$0"
  exit "${1:-0}"
}

selected=()
for arg in "$@"; do
  case $arg in
    -h|--help) usage 0 ;;
    *)
      [[ " ${all[*]} ${optional[*]} " == *" $arg "* ]] || die "unknown image $arg (one of: ${all[*]} ${optional[*]})"
      selected+=("$arg")
      ;;
  esac
done
[[ ${#selected[@]} -gt 0 ]] || selected=("${all[@]}")
wanted() { [[ " ${selected[*]} " == *" $1 "* ]]; }

command -v docker > /dev/null || die "docker is not installed"
docker info > /dev/null 2>&1 || die "the Docker daemon does not answer (is dockerd running, may this user use it?)"
mkdir -p "$logs"

# --- the base image ---------------------------------------------------------------------------------------

have_image() { docker image inspect "$1" > /dev/null 2>&1; }

# regent/debian-base:bookworm from a Debian mirror: debootstrap's minimal system, set up as debian:bookworm-slim is
# (bookworm, -updates and -security; no documentation, manual pages or translations; no apt caches)
make_debian_base() {
  [[ $(id -u) -eq 0 ]] || die "no base image: debian:bookworm-slim cannot be pulled, and making one with debootstrap" \
    "needs root. Run this as root, or set BASE_IMAGE to a Debian bookworm image you have"
  command -v debootstrap > /dev/null || die "no base image: debian:bookworm-slim cannot be pulled and debootstrap is" \
    "missing (apt-get install debootstrap), or set BASE_IMAGE to a Debian bookworm image you have"
  local mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian} dir start
  start=$(now)
  dir=$(mktemp -d "${TMPDIR:-/var/tmp}/regent-debian-base.XXXXXX")
  # shellcheck disable=SC2064 # the directory is known now
  trap "rm -rf '$dir'" EXIT
  echo "no debian:bookworm-slim here and none can be pulled: making regent/debian-base:bookworm from $mirror"
  if ! debootstrap --variant=minbase bookworm "$dir" "$mirror" > "$logs/debian-base.log" 2>&1; then
    tail -n 30 "$logs/debian-base.log" >&2
    die "debootstrap failed (whole output: $logs/debian-base.log)"
  fi
  rm -f "$dir/etc/apt/sources.list"
  cat > "$dir/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat > "$dir/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
# as in debian:bookworm-slim: no documentation, manual pages or translations in images
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  printf 'Acquire::Languages "none";\n' > "$dir/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::Install-Recommends "false";\n' > "$dir/etc/apt/apt.conf.d/docker-no-recommends"
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/log/*.log "$dir"/var/log/apt/* \
    "$dir"/dev/* "$dir"/proc/* "$dir"/sys/* "$dir"/run/* "$dir"/tmp/*
  tar --numeric-owner -C "$dir" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - regent/debian-base:bookworm > /dev/null
  rm -rf "$dir"
  trap - EXIT
  printf '  %-28s %6s s  (debootstrap + docker import)\n' "regent/debian-base:bookworm" "$(since "$start")"
}

if [[ -n ${BASE_IMAGE:-} ]]; then
  base=$BASE_IMAGE
  have_image "$base" || docker pull "$base" > /dev/null || die "BASE_IMAGE $base is neither here nor pullable"
elif have_image debian:bookworm-slim; then
  base=debian:bookworm-slim
elif have_image regent/debian-base:bookworm; then
  base=regent/debian-base:bookworm
elif docker pull debian:bookworm-slim > /dev/null 2>&1; then
  base=debian:bookworm-slim
else
  make_debian_base
  base=regent/debian-base:bookworm
fi
echo "base image: $base"

# --- what the images copy --------------------------------------------------------------------------------

# The Java layer must be the same text everywhere, or Docker builds (and stores) it once per image.
java_layer() { sed -n '/^# --- the Java layer/,/^# --- end of the Java layer/p' "$1"; }
reference=$(java_layer "$images/java-runtime/Dockerfile")
for dockerfile in "${services[@]/%//src/main/docker/Dockerfile.jvm}" deploy/images/kafka/Dockerfile \
    deploy/images/keycloak/Dockerfile deploy/images/node/Dockerfile; do
  [[ $(java_layer "$root/$dockerfile") == "$reference" ]] || echo "build.sh: warning: the Java layer of" \
    "$dockerfile differs from deploy/images/java-runtime/Dockerfile's: that image does not share it" >&2
done

for module in "${services[@]}"; do
  if wanted "$module" || { [[ $module == monitor-service ]] && wanted node; }; then
    [[ -f $root/$module/target/quarkus-app/quarkus-run.jar ]] || die "$module/target/quarkus-app is missing:" \
      "run ./mvnw package -DskipTests first"
  fi
done

# ./mvnw package of a standalone pom under deploy/images, unless its target/ is newer than the pom
maven() {
  local dir=$images/$1 start
  [[ -f $dir/target/.packaged && $dir/target/.packaged -nt $dir/pom.xml ]] && return 0
  start=$(now)
  if ! (cd "$root" && ./mvnw -q -B -f "$dir/pom.xml" package > "$logs/$1-maven.log" 2>&1); then
    tail -n 30 "$logs/$1-maven.log" >&2
    die "Maven failed for deploy/images/$1/pom.xml (whole output: $logs/$1-maven.log)"
  fi
  touch "$dir/target/.packaged"
  printf '  %-28s %6s s  (Maven: deploy/images/%s/target)\n' "$1 artifacts" "$(since "$start")" "$1"
}

# regent/node's context: the monitor agent and pg-init.sh, next to node-start.sh (hard links where possible)
stage_node() {
  local target=$images/node/target
  rm -rf "$target"
  mkdir -p "$target"
  cp -al "$root/monitor-service/target/quarkus-app" "$target/" 2> /dev/null \
    || cp -a "$root/monitor-service/target/quarkus-app" "$target/"
  cp "$images/postgres/pg-init.sh" "$target/"
}

# --- the images ----------------------------------------------------------------------------------------

# build NAME CONTEXT DOCKERFILE [DOCKER BUILD OPTIONS...]
build() {
  local name=$1 context=$2 dockerfile=$3 start
  shift 3
  start=$(now)
  if ! docker build --build-arg BASE_IMAGE="$base" "$@" -t "regent/$name:$tag" -f "$dockerfile" "$context" \
      > "$logs/$name.log" 2>&1; then
    tail -n 40 "$logs/$name.log" >&2
    die "regent/$name:$tag failed (whole output: $logs/$name.log)"
  fi
  printf '  %-28s %6s s\n' "regent/$name:$tag" "$(since "$start")"
}

total=$(now)
# first: the shared Java layer, found in the cache by every other Java image
build java-runtime "$images/java-runtime" "$images/java-runtime/Dockerfile"
for module in "${services[@]}"; do
  wanted "$module" && build "$module" "$root/$module" "$root/$module/src/main/docker/Dockerfile.jvm"
done
if wanted kafka; then
  maven kafka
  build kafka "$images/kafka" "$images/kafka/Dockerfile"
fi
if wanted keycloak; then
  maven keycloak
  build keycloak "$images/keycloak" "$images/keycloak/Dockerfile" --build-arg KEYCLOAK_VERSION="$(sed -n \
    's:.*<keycloak.version>\(.*\)</keycloak.version>.*:\1:p' "$images/keycloak/pom.xml")"
fi
wanted postgres && build postgres "$images/postgres" "$images/postgres/Dockerfile"
if wanted node; then
  stage_node
  build node "$images/node" "$images/node/Dockerfile"
fi
wanted haproxy && build haproxy "$images/haproxy" "$images/haproxy/Dockerfile"
wanted prometheus && build prometheus "$images/prometheus" "$images/prometheus/Dockerfile"
echo "built in $(since "$total") s (from $base); docker-compose up -d starts them"
