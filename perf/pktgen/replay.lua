-- Pktgen-DPDK: replay one of switchyard-gen's pcaps (perf/pktgen/*.pcap) at a set rate against
-- the appliance, then print what the port sent and received. Pktgen-DPDK 23.06 (the last
-- release for DPDK 22.11); command lines in docs/load-testing.md.
--
-- Environment (all optional):
--   SY_PPS       target frames per second (default 200000)
--   SY_SECONDS   how long to send (default 10)
--   SY_LINK_GBPS link speed the driver reports: memif 100, net_af_packet 10 (default 100)
--   SY_AVG_BYTES average frame size of the pcap, for the rate conversion (default 142:
--                capinfos -z reports it)
--
-- Pktgen's rate is a percentage of the link: pps = link_bps * rate / 100 / ((bytes + 20) * 8),
-- the 20 bytes being preamble and inter-frame gap. Timestamps in the pcap are ignored (uniform
-- pacing); order and bytes are kept. The file repeats while sending: after the first pass the
-- appliance counts the repeated MoldUDP64 sequence numbers as duplicates, by design.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local pps = tonumber(os.getenv("SY_PPS") or "200000")
local seconds = tonumber(os.getenv("SY_SECONDS") or "10")
local link_bps = tonumber(os.getenv("SY_LINK_GBPS") or "100") * 1e9
local avg_bytes = tonumber(os.getenv("SY_AVG_BYTES") or "142")

local rate = pps * (avg_bytes + 20) * 8 * 100 / link_bps
if rate > 100 then rate = 100 end

pktgen.screen("off")
pktgen.clr()
pktgen.pcap(port, "on")
pktgen.set(port, "rate", rate)
pktgen.set(port, "burst", 32)
pktgen.set(port, "count", 0) -- until stopped
printf("switchyard replay: %d pps target = rate %.4f%% of %.0f Gbps, %d s\n",
       pps, rate, link_bps / 1e9, seconds)
pktgen.start(port)
pktgen.delay(seconds * 1000)
pktgen.stop(port)
pktgen.delay(500) -- replies in flight
local s = pktgen.portStats(port, "port")[tonumber(port)]
printf("switchyard replay: opackets %d obytes %d ipackets %d ierrors %d oerrors %d\n",
       s.opackets, s.obytes, s.ipackets, s.ierrors, s.oerrors)
printf("switchyard replay: achieved %.0f pps\n", s.opackets / seconds)
pktgen.quit()
