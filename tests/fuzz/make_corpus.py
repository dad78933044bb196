#!/usr/bin/env python3
"""Writes the seed corpora under corpus/ (run from anywhere; output is deterministic).

The bytes are laid out here from docs protocols.md §1-4 with struct, independently of the C++
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

# ---- OUCH 4.2 (§3): every type of both directions, plus malformed messages.
TOK = a("TOKEN000000001", 14)
TOK2 = a("TOKEN000000002", 14)
OTS = struct.pack(">Q", TS)
OUCH = {
    "O_enter_order": b"O" + TOK + b"B" + struct.pack(">I", 100) + a("AAPL", 8)
    + struct.pack(">II", 1895000, 99998) + a("FIRM", 4) + b"YAN" + struct.pack(">I", 0) + b"N ",
    "O_enter_order_48": b"O" + TOK + b"S" + struct.pack(">I", 200) + a("MSFT", 8)
    + struct.pack(">II", 3301000, 0) + a("", 4) + b"AAN" + struct.pack(">I", 0) + b"N",
    "U_replace_order": b"U" + TOK + TOK2 + struct.pack(">III", 150, 1895100, 99998) + b"YN"
    + struct.pack(">I", 0),
    "X_cancel_order": b"X" + TOK + struct.pack(">I", 0),
    "M_modify_order": b"M" + TOK + b"T" + struct.pack(">I", 80),
    "S_system_event": b"S" + OTS + b"S",
    "A_accepted": b"A" + OTS + TOK + b"B" + struct.pack(">I", 100) + a("AAPL", 8)
    + struct.pack(">II", 1895000, 99998) + a("FIRM", 4) + b"Y" + struct.pack(">Q", 987654321012)
    + b"AN" + struct.pack(">I", 0) + b"NL ",
    "U_replaced": b"U" + OTS + TOK2 + b"B" + struct.pack(">I", 150) + a("AAPL", 8)
    + struct.pack(">II", 1895100, 99998) + a("FIRM", 4) + b"Y" + struct.pack(">Q", 987654321013)
    + b"AN" + struct.pack(">I", 0) + b"NL" + TOK + b" ",
    "C_canceled": b"C" + OTS + TOK + struct.pack(">I", 100) + b"U",
    "D_aiq_canceled": b"D" + OTS + TOK + struct.pack(">I", 50) + b"Q"
    + struct.pack(">II", 50, 1895000) + b"A",
    "E_executed": b"E" + OTS + TOK + struct.pack(">II", 60, 1895100) + b"A"
    + struct.pack(">Q", 55555),
    "B_broken_trade": b"B" + OTS + TOK + struct.pack(">Q", 55555) + b"E",
    "J_rejected": b"J" + OTS + TOK + b"X",
    "P_cancel_pending": b"P" + OTS + TOK,
    "I_cancel_reject": b"I" + OTS + TOK,
    "T_priority_update": b"T" + OTS + TOK + struct.pack(">I", 1895000) + b"Y"
    + struct.pack(">Q", 987654321014),
    "M_order_modified": b"M" + OTS + TOK + b"S" + struct.pack(">I", 80),
    "G_executed_with_reference": b"G" + OTS + TOK + struct.pack(">II", 10, 1895000) + b"R"
    + struct.pack(">QI", 55556, 1895050) + b"I",
    "F_trade_correction": b"F" + OTS + TOK + struct.pack(">II", 10, 1895000) + b"R"
    + struct.pack(">Q", 55557) + b"N",
    "K_price_correction": b"K" + OTS + TOK + struct.pack(">QI", 55555, 1894900) + b"E",
}
OUCH_LENGTHS = {"O_enter_order": 49, "O_enter_order_48": 48, "U_replace_order": 47,
                "X_cancel_order": 19, "M_modify_order": 20, "S_system_event": 10,
                "A_accepted": 66, "U_replaced": 80, "C_canceled": 28, "D_aiq_canceled": 37,
                "E_executed": 40, "B_broken_trade": 32, "J_rejected": 24,
                "P_cancel_pending": 23, "I_cancel_reject": 23, "T_priority_update": 36,
                "M_order_modified": 28, "G_executed_with_reference": 45,
                "F_trade_correction": 41, "K_price_correction": 36}
for name, msg in OUCH.items():
    assert len(msg) == OUCH_LENGTHS[name], (name, len(msg))
OUCH_BAD = {
    "err_empty": b"",
    "err_unknown_type": b"Z" + bytes(30),
    "err_short_accepted": OUCH["A_accepted"][:40],
    "err_long_cancel": OUCH["X_cancel_order"] + b"\x00",
}

# ---- UFO 1.0 (§4): downstream packets and upstream blocks.
def ublk(m):
    return struct.pack(">H", len(m)) + m


def useq(seq, msgs, count=None):
    count = len(msgs) if count is None else count
    return b"S" + struct.pack(">IH", seq, count) + b"".join(ublk(m) for m in msgs)


LOGIN = b"L" + a("USER01", 6) + a("PASSWORD01", 10) + a("", 10)
UFO = {
    "down_login_accept": b"A" + a("SESSION001", 10) + struct.pack(">I", 1),
    "down_login_reject": b"JA",
    "down_end_of_session": b"E" + struct.pack(">I", 12),
    "down_heartbeat": useq(3, []),
    "down_data": useq(1, [OUCH["A_accepted"], OUCH["E_executed"]]),
    "down_all_host": useq(10, [v for k, v in OUCH.items() if k[0] in "SAUCDEBJPITMGFK"
                               and k not in ("U_replace_order", "M_modify_order")]),
    "up_login": ublk(LOGIN),
    "up_orders": ublk(b"U" + OUCH["O_enter_order"]) + ublk(b"U" + OUCH["U_replace_order"])
    + ublk(b"U" + OUCH["X_cancel_order"]) + ublk(b"U" + OUCH["M_modify_order"]),
    "up_session": ublk(b"T" + struct.pack(">IH", 2, 5)) + ublk(b"R") + ublk(b"O"),
    "err_down_truncated": useq(1, [OUCH["A_accepted"], OUCH["E_executed"]], 3)[:-5],
    "err_down_trailing": useq(1, [OUCH["J_rejected"]]) + b"\x01\x02",
    "err_down_bad_length": b"A" + a("SESSION001", 10) + b"\x00\x01",
    "err_up_empty_block": ublk(b"R") + b"\x00\x00",
    "err_up_truncated": ublk(LOGIN)[:20],
    "err_up_unknown": ublk(b"Q"),
}

for sub, items in (("itch50", {**ITCH, **ITCH_BAD}), ("moldudp64", MOLD),
                   ("ouch42", {**OUCH, **OUCH_BAD}), ("ufo", UFO)):
    d = HERE / "corpus" / sub
    d.mkdir(parents=True, exist_ok=True)
    for name, data in items.items():
        (d / name).write_bytes(data)
