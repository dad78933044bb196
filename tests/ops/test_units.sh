#!/usr/bin/env bash
# The systemd units: systemd-analyze verify finds nothing to say about them (installed into a
# scratch root next to the distribution's own units, with the real binary and script at the
# paths the units name), the offline security exposure stays at or under its recorded level,
# and what the units promise matches the appliance (READY/WATCHDOG, drain time, EAL prefix).
set -euo pipefail

src=${SY_SOURCE_ROOT:?run through meson test}
bin=${SWITCHYARD_BIN:?run through meson test}
fails=0
fail() {
  echo "FAIL: $*" >&2
  fails=$((fails + 1))
}

if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is missing: installing the project's dependencies"
  "$src/scripts/install-deps.sh"
fi

scratch=$(mktemp -d /tmp/sy_ops_units.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
mkdir -p "$root/usr/bin" "$root/usr/lib/switchyard" "$root/usr/lib/systemd" "$root/etc/switchyard"
cp -a /lib/systemd/system "$root/usr/lib/systemd/"
install -m 0755 "$bin" "$root/usr/bin/switchyard"
install -m 0755 "$src/scripts/setup-hugepages.sh" "$root/usr/lib/switchyard/"
install -m 0644 "$src/systemd/switchyard.service" "$src/systemd/switchyard-hugepages.service" \
  "$root/usr/lib/systemd/system/"
install -m 0644 "$src/systemd/hugepages.env" "$root/etc/switchyard/"

units=(/usr/lib/systemd/system/switchyard.service /usr/lib/systemd/system/switchyard-hugepages.service)
verify() { systemd-analyze verify --man=no --root="$root" "$@" 2>&1; }

# 1. verify: any output is a finding (it exits 0 on unknown keys and bad values).
out=$(verify "${units[@]}") || fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || fail "systemd-analyze verify has findings:"$'\n'"$out"

# The check itself must be able to fail: a misspelt type and an unknown key are reported.
cp "$root/usr/lib/systemd/system/switchyard.service" "$scratch/good.service"
sed -i 's/^Type=notify/Type=notfy/; s/^NotifyAccess=/NotifyAcess=/' \
  "$root/usr/lib/systemd/system/switchyard.service"
out=$(verify "${units[0]}" || true)
[[ $out == *"notfy"* && $out == *"NotifyAcess"* ]] || fail "verify missed planted errors: $out"
cp "$scratch/good.service" "$root/usr/lib/systemd/system/switchyard.service"

# 2. Offline security exposure (0 best .. 10 worst): 4.2 when written; a dropped hardening
# option shows up here.
out=$(systemd-analyze security --offline=yes --root="$root" --threshold=45 "${units[0]}" 2>&1) ||
  fail "security exposure above 4.5:"$'\n'"$(tail -3 <<<"$out")"
grep -o 'Overall exposure level.*' <<<"$out" || true

# 3. What the unit promises, against the appliance and its bare-metal profile.
unit=$src/systemd/switchyard.service
key() { sed -n "s/^$1=//p" "$unit" | tail -1; }
[[ $(key Type) == notify ]] || fail "Type is not notify"
[[ $(key NotifyAccess) == main ]] || fail "NotifyAccess is not main"
[[ $(key LimitMEMLOCK) == infinity ]] || fail "LimitMEMLOCK is not infinity"
[[ -n $(key WatchdogSec) ]] || fail "no WatchdogSec"
[[ -n $(key CPUAffinity) ]] || fail "no CPUAffinity for the non-EAL threads"
[[ $(key StandardError) == journal ]] || fail "stderr does not go to the journal"
[[ $(key RestartPreventExitStatus) == 2 ]] || fail "a configuration error (exit 2) would restart"
grep -q '^Requires=switchyard-hugepages.service' "$unit" || fail "hugepages unit not required"

profile=$src/conf/profiles/bare-metal.yaml
resolved=$("$bin" --check-config "$profile")
prefix=$(sed -n 's/^  file_prefix: //p' <<<"$resolved")
[[ $(key RuntimeDirectory) == "dpdk/$prefix" ]] ||
  fail "RuntimeDirectory $(key RuntimeDirectory) is not the EAL's dpdk/$prefix"
drain_ms=$(sed -n 's/^  drain_timeout_ms: //p' <<<"$resolved")
stop_s=$(key TimeoutStopSec)
stop_s=${stop_s%s}
((stop_s * 1000 > drain_ms)) || fail "TimeoutStopSec ${stop_s}s is not above the drain ${drain_ms} ms"
# The service section's heartbeat timeout (control: has a key of the same name).
hb_ms=$(sed -n '/^service:/,/^[a-z]/s/^  heartbeat_timeout_ms: //p' <<<"$resolved")
wd_s=$(key WatchdogSec)
wd_s=${wd_s%s}
((wd_s * 1000 > 2 * hb_ms)) ||
  fail "WatchdogSec ${wd_s}s leaves no room after a ${hb_ms} ms heartbeat timeout"

# 4. The env file names only what setup-hugepages.sh reads.
while IFS='=' read -r name _; do
  [[ -z $name || $name == \#* ]] && continue
  grep -q "\${$name:-" "$src/scripts/setup-hugepages.sh" || fail "hugepages.env sets unknown $name"
done <"$src/systemd/hugepages.env"

((fails == 0)) || exit 1
echo "units: ok"
