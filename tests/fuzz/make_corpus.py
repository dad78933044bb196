#!/usr/bin/env python3
"""Writes the seed corpora under corpus/ (run from anywhere; output is deterministic).

The bytes are laid out here from docs protocols.md §1-2 with struct, independently of the C++
encoders, so the replay tests also cross-check the codecs against a second implementation.
"""
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
TS = 34200123456789  # 09:30:00.123456789


def hdr(t, locate=42, tracking=7, ts=TS):
    return t.encode() + struct.pack(">HH", locate, tracking) + ts.to_bytes(6, "big")


def a(s, n):
    return s.encode().ljust(n, b" ")[:n]


ITCH = {
    "S_system_event": hdr("S", 0) + b"O",
    "R_stock_directory": hdr("R") + a("AAPL", 8) + b"QN" + struct.pack(">I", 100) + b"NC"
    + a("C", 2) + b"PN 1N" + struct.pack(">I", 0) + b"N",
    "H_trading_action": hdr("H") + a("AAPL", 8) + b"T " + a("T1", 4),
    "Y_reg_sho": hdr("Y") + a("AAPL", 8) + b"1",
    "L_market_participant": hdr("L") + a("NSDQ", 4) + a("AAPL", 8) + b"YNA",
    "V_mwcb_decline_level": hdr("V", 0) + struct.pack(">QQQ", 350000000000, 325000000000,
                                                      300000000000),
    "W_mwcb_status": hdr("W", 0) + b"1",
    "K_ipo_quoting_period": hdr("K") + a("NEWCO", 8) + struct.pack(">I", 36000) + b"A"
    + struct.pack(">I", 200000),
    "J_luld_auction_collar": hdr("J") + a("AAPL", 8) + struct.pack(">IIII", 1895000, 1990000,
                                                                    1800000, 1),
    "h_operational_halt": hdr("h") + a("AAPL", 8) + b"QH",
    "A_add_order": hdr("A") + struct.pack(">QcI", 1234567890123, b"B", 300) + a("AAPL", 8)
    + struct.pack(">I", 1895000),
    "F_add_order_mpid": hdr("F") + struct.pack(">QcI", 1234567890124, b"S", 200) + a("AAPL", 8)
    + struct.pack(">I", 1896000) + a("GSCO", 4),
    "E_order_executed": hdr("E") + struct.pack(">QIQ", 1234567890123, 100, 555),
    "C_order_executed_price": hdr("C") + struct.pack(">QIQcI", 1234567890123, 100, 556, b"Y",
                                                     1895100),
    "X_order_cancel": hdr("X") + struct.pack(">QI", 1234567890123, 50),
    "D_order_delete": hdr("D") + struct.pack(">Q", 1234567890123),
    "U_order_replace": hdr("U") + struct.pack(">QQII", 1234567890123, 1234567890200, 400,
                                              1895200),
    "P_trade": hdr("P") + struct.pack(">QcI", 0, b"B", 700) + a("AAPL", 8)
    + struct.pack(">IQ", 1895300, 557),
    "Q_cross_trade": hdr("Q") + struct.pack(">Q", 5000000000) + a("AAPL", 8)
    + struct.pack(">IQc", 1895400, 558, b"O"),
    "B_broken_trade": hdr("B") + struct.pack(">Q", 557),
    "I_noii": hdr("I") + struct.pack(">QQc", 10000, 2500, b"B") + a("AAPL", 8)
    + struct.pack(">III", 1895000, 1895100, 1895200) + b"OL",
    "N_retail_price_improvement": hdr("N") + a("AAPL", 8) + b"B",
    "O_direct_listing": hdr("O") + a("DLCR", 8) + b"Y"
    + struct.pack(">IIIQII", 100000, 200000, 150000, 34200000000000, 140000, 160000),
}
LENGTHS = dict(S=12, R=39, H=25, Y=20, L=26, V=35, W=12, K=28, J=35, h=21, A=36, F=40, E=31, C=36,
               X=23, D=19, U=35, P=44, Q=40, B=19, I=50, N=20, O=48)
for name, msg in ITCH.items():
    assert len(msg) == LENGTHS[name[0]], (name, len(msg))
assert len(ITCH) == 23

ITCH_BAD = {
    "err_empty": b"",
    "err_unknown_type": b"Z" + bytes(30),
    "err_short_add": ITCH["A_add_order"][:35],
    "long_add_prefix": ITCH["A_add_order"] + b"\xde\xad",
}

SESSION = b"NASDAQ0001"


def mold(seq, msgs, count=None):
    count = len(msgs) if count is None else count
    return SESSION + struct.pack(">QH", seq, count) + b"".join(
        struct.pack(">H", len(m)) + m for m in msgs)


all_msgs = list(ITCH.values())
MOLD = {
    "add_order": mold(1000, [ITCH["A_add_order"]]),
    "book_flow": mold(2000, [ITCH[k] for k in ("R_stock_directory", "A_add_order",
                                               "E_order_executed", "U_order_replace",
                                               "D_order_delete")]),
    "all_types_1": mold(3000, all_msgs[:12]),
    "all_types_2": mold(3012, all_msgs[12:]),
    "heartbeat": SESSION + struct.pack(">QH", 3023, 0),
    "end_of_session": SESSION + struct.pack(">QH", 3023, 0xFFFF),
    "request": SESSION + struct.pack(">QH", 2003, 5),
    "err_short_header": SESSION + b"\x00\x00",
    "err_truncated": mold(10, [ITCH["A_add_order"], ITCH["D_order_delete"]], 3)[:-5],
    "err_trailing": mold(20, [ITCH["D_order_delete"]]) + b"\x01\x02\x03",
    "err_bad_messages": mold(30, [b"", b"Z\x00\x01", ITCH["A_add_order"][:20],
                                  ITCH["X_order_cancel"]]),
}

for sub, items in (("itch50", {**ITCH, **ITCH_BAD}), ("moldudp64", MOLD)):
    d = HERE / "corpus" / sub
    d.mkdir(parents=True, exist_ok=True)
    for name, data in items.items():
        (d / name).write_bytes(data)
