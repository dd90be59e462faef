#!/usr/bin/env python3
"""make_seeds.py -- (re)write the seed corpora in fuzz/corpus/: the shipped
scenarios (includes inlined), the sample logs of tests/test_import.c, and
hand-made hostile inputs.  Run from the repository root; files are named by
content, so running it again adds nothing new.  Inputs found by fuzzing can be
added to the corpus directories by hand (small, interesting ones)."""
import glob
import hashlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:10]
    with open(os.path.join(d, f"{name}-{h}"), "wb") as f:
        f.write(data)


def c_literals(src, start_pat, count=1):
    """The byte strings of C string-literal concatenations following the
    regex start_pat (up to count occurrences), escapes decoded."""
    out = []
    for m in list(re.finditer(start_pat, src))[:count]:
        i = m.end()
        parts = []
        while True:
            while i < len(src) and src[i] in b" \t\r\n":
                i += 1
            if i >= len(src) or src[i:i + 1] != b'"':
                break
            i += 1
            buf = bytearray()
            while src[i:i + 1] != b'"':
                c = src[i:i + 1]
                if c == b"\\":
                    e = src[i + 1:i + 2]
                    if e == b"x":
                        j = i + 2
                        while j < len(src) and src[j:j + 1] in b"0123456789abcdefABCDEF":
                            j += 1
                        buf.append(int(src[i + 2:j], 16) & 0xFF)
                        i = j
                        continue
                    buf += {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"0": b"\0"}.get(e, e)
                    i += 2
                    continue
                buf += c
                i += 1
            i += 1
            parts.append(bytes(buf))
        out.append(b"".join(parts))
    return out


def scenarios():
    inc = os.path.join(ROOT, "scenarios")
    for p in sorted(glob.glob(os.path.join(inc, "*.cfg"))):
        text = open(p, "rb").read()

        def inline(m):
            return open(os.path.join(inc, m.group(1).decode()), "rb").read()
        text = re.sub(rb'@include "([^"]+)"', inline, text)
        put("scenario", os.path.basename(p)[:-4], text)
    hostile = {
        "empty": "",
        "comment": "# nothing\n",
        "syntax": "scenario = { days = ; };\n",
        "unknown": "scenario = { dayz = 3; };\n",
        "days_big": "scenario = { days = 100000; };\n",
        "int64": "group = { size = 9999999999L; };\n",
        "float_for_int": "scenario = { days = 2.5; };\n",
        "huge_float": "members = { rate_mean = 1e308; };\n",
        "neg": "members = { rate_mean = -1.0; };\n",
        "bom_crlf": "\ufeffscenario = { name = \"x\";\r\n days = 2; };\r\n",
        "long_name": "scenario = { name = \"" + "x" * 500 + "\"; };\n",
        "escapes": 'scenario = { name = "a\\"b\\\\c\\x01\\n"; };\n',
        "arms_many": "arms = (" + ",".join('{ name = "a%d"; }' % i for i in range(40)) + ");\n",
        "arms_dup": 'arms = ( { name = "a"; }, { name = "a"; } );\n',
        "arms_noname": "arms = ( { members = { rate_mean = 2.0; }; } );\n",
        "arms_empty": "arms = ();\n",
        "arms_notlist": 'arms = { name = "a"; };\n',
        "arm_bad": 'arms = ( { name = "a"; group = { size = 1; }; } );\n',
        "self_include": '@include "s.cfg"\n',
        "include_missing": '@include "nope.cfg"\n',
        "deep": "a = { b = { c = { d = { e = { f = 1; }; }; }; }; };\n",
        "types_mismatch": "operator = { hours = [9.0, 20.0]; types = [\"text\"]; };\n",
        "vec_long": "cadence = { daily = [" + ",".join(["1.0"] * 30) + "]; };\n",
        "vec_str": 'cadence = { daily = ["a"]; };\n',
        "runaway_invites": "scenario = { days = 30; };\nrules = { overflow = true; max_groups = 100000; };\n"
                           "invites = { mean = 100.0; shape = 0.01; incentive = 100.0; accept = 1.0; };\n",
        "targets": 'arms = ( { name = "b"; } );\ntargets = ( { arm = "b"; metric = "retention_1d"; reported = 0.5; '
                   'tolerance = 20.0; } );\n',
        "targets_bad": 'targets = ( { arm = "zz"; metric = "x"; reported = "y"; } );\n',
        "bad_date": 'scenario = { start = "2026-02-30"; };\n',
        "bad_offset": 'scenario = { utc_offset = "+25:00"; };\n',
        "nul": "scenario = { name = \"a\0b\"; };\n",
        "nul_escape": 'scenario = { name = "a\\x00b"; };\n',
        "include_empty": '@include ""\n',
        "include_dot": '@include "."\n',
        "include_commented": '# @include "x"\n/* @include "y" */\nscenario = { name = "\n@include \\"z\\""; };\n',
        "utf8_bad_name": b'arms = ( { name = "ok"; }, { name = "\xe7\xbe"; } );\n',
        "long_string": 'arms = ( { name = "a"; description = "' + "d" * 70000 + '"; } );\n',
    }
    for k, v in hostile.items():
        put("scenario", k, v)


def imports():
    src = open(os.path.join(ROOT, "tests", "test_import.c"), "rb").read()
    wechat = c_literals(src, rb"wechatmsg_csv =")[0]
    put("import_wechatmsg", "sample", wechat)
    chat = c_literals(src, rb'"chatlog\.csv",', 1)[0]
    put("import_chatlog", "sample_csv", chat)
    chatj = c_literals(src, rb'"chatlog\.json",', 1)[0]
    put("import_chatlog", "sample_json", chatj)
    for i, lit in enumerate(c_literals(src, rb'"wecom[_a-z]*\.jsonl?",', 4)):
        put("import_wecom", "sample%d" % i, lit)
    csv = ("ts,group,sender,name,kind,inviter,text\n"
           "2024-05-01 09:00,book-club,u1,群主,,,\"欢迎, 大家\"\n"
           "2024-05-01 09:01,book-club,u2,,join,u1,\n"
           "2024-05-01 09:02,book-club,u2,新人,,,请问几点开始？\n")
    put("import_csv", "doc", csv)
    put("import_csv", "crlf_bom", "\ufeff" + csv.replace("\n", "\r\n"))
    put("import_csv", "quoted_nl", "ts,sender,text\n1714525200,u1,\"a\nb,\"\"c\"\"\"\n1714525300,u2,x?\n")
    put("import_csv", "all_cols", "ts,group,group_name,sender,name,kind,length,text,question,inviter,source,value,id\n"
        "2024-05-01T09:00:00+08:00,g1,G,u1,n1,purchase,,,,,,12.5,m1\n"
        "2024-05-01T09:00:00Z,g1,G,u2,n2,join,,,,u1,qr,,m2\n"
        "1714525200000,g1,G,u2,n2,message,5,hello,yes,,,,m3\n"
        "1714525200000,g1,G,u2,n2,message,5,hello,yes,,,,m3\n"
        "2024/5/1 9:00,g2,,u3,,leave,,,,,,,\n"
        ",g1,,u1,,,,,,,,,\n"
        "9999999999999999,g1,,u1,,,,,,,,,\n"
        "0,g1,,u1,,,,,,,,,\n")
    put("import_csv", "span", "ts,sender\n0,a\n9999999999999999,b\n")
    put("import_csv", "unclosed", "ts,sender,text\n1714525200,u1,\"never closed\n1714525300,u2,x\n")
    put("import_csv", "header_only", "ts,sender\n")
    put("import_csv", "no_ts", "sender,text\nu1,x\n")
    put("import_csv", "system", "ts,kind,text\n1714525200,system,hello\n")
    put("import_wechatmsg", "notices", "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,"
        "Remark,NickName,Sender\n"
        "1,1@chatroom,10000,0,0,1714525260,4,\"\"\"你\"\"邀请\"\"A、B、C\"\"加入了群聊\",,,,\n"
        "2,1@chatroom,10000,0,0,1714525261,4,\"\"\"A\"\"通过扫描\"\"你\"\"分享的二维码加入群聊\",,,,\n"
        "3,1@chatroom,10000,0,0,1714525262,4,\"你将\"\"B\"\"移出了群聊\",,,,\n"
        "4,1@chatroom,49,57,0,1714525263,2,\"<msg><title>回复 &lt;x&gt;</title></msg>\",,,A,wxid_a\n"
        "5,1@chatroom,10002,0,0,1714525264,4,\"\"\"\"\"\"\"\"\"\",,,,\n")
    put("import_wecom", "members_array", '[{"userid":"a","join_time":1700000000,"join_scene":3,"invitor":{"userid":"b"}},'
        '{"userid":"b","join_time":-5,"join_scene":99}]')
    put("import_wecom", "nested", "[" * 200 + "]" * 200)
    put("import_wecom", "escapes", '{"msgid":"\\ud800\\u0041\\uDFFF","from":"a","roomid":"r","msgtime":1e300,'
        '"msgtype":"text","text":{"content":"\\u4f60\\u597d?"}}\n')
    put("import_chatlog", "lines", '{"time":"2024-05-01T09:00:00+08:00","talker":"t","isChatRoom":true,"sender":"s",'
        '"type":1,"content":"x"}\n{"time":"bad"}\n{')


def cli():
    lines = [
        ["run", "s.cfg"],
        ["run", "s.cfg", "--reps", "3", "--days", "2", "--seed", "18446744073709551615", "--arm", "b", "--format", "json"],
        ["run", "s.cfg", "--set", "members.rate_mean=2", "--set", "scenario.days=3", "--shard", "1/2", "--threads", "0"],
        ["run", "s.cfg", "--set", "cadence.weekly=[1,1,1,1,1,1,2]", "--resume", "--batch", "3"],
        ["sweep", "s.cfg", "--set", "members.rate_mean=0.5,1,2", "--set", "joins.rate=[0],1"],
        ["sweep", "s.cfg", "--design", "lhs", "--samples", "5", "--set", "members.rate_mean=0.1:2", "--set", "group.kols=0:3"],
        ["sweep", "s.cfg", "--set", "scenario.days=1,2"],
        ["check", "s.cfg", "--set", "group.size=5"],
        ["check", "s.cfg", "--set", "=x"],
        ["import", "csv", "a.csv", "--db", "n.db", "--utc-offset", "-05:30", "--group", "g1", "--strict"],
        ["import", "wechatmsg", "a.csv", "--db", "n.db"],
        ["import", "csv", "missing.csv", "a.csv", "--db", "r.db", "--quiet"],
        ["merge", "m.db", "r.db", "r.db"],
        ["merge", "r.db"],
        ["metrics", "r.db", "--daily", "--format", "csv", "--from", "2024-05-01", "--to", "2024-04-01"],
        ["metrics", "r.db", "--run", "1", "--group", "g1", "--format", "json"],
        ["metrics", "a.csv"],
        ["doc", "settings"],
        ["run", "--help"],
        ["--version"],
        ["import"],
        ["run"],
    ]
    for i, l in enumerate(lines):
        put("cli", "%02d_%s" % (i, l[0].strip("-")), "\0".join(l))


def cfgwrite():
    """Group name, origin, note (NUL-separated), an offset byte, 6 x 4 value bytes."""
    import struct
    cases = [
        ("plain", "plain", b"Reading club", b"results.db, run 1", b"", 88),
        ("inject", "inject", b"BC\ninvites={mean=50.0;accept=1.0;};\n#", b"r.db \"BC\ninvites={mean=50;};\n#\"", b"x\n@include \"/etc/passwd\"", 0),
        ("quotes", "quotes", b'a"b\\c\\', b'\\"; x = 1; #', b"*/ y = 2; /*", 112),
        ("control", "control", b"\x01\x02\t\r\x1b[31m\x7f", b"\r\n@include \"x\"", b"\x0c", 1),
        ("chinese21", "chinese21", "一二三四五六七八九十一二三四五六七八九十一".encode(), "读书会".encode(), b"", 56),
        ("long_mixed", "long_mixed", ("a群🍵" * 20).encode(), b"", b"", 60),
        ("invalid_utf8", "invalid_utf8", b"\xff\xfe\xc3(\xed\xa0\x80\xc0\xaf\xe7\xbe", b"\xff", b"\xc3", 20),
        ("empty", "empty", b"", b"", b"", 0),
    ]
    for name, _, g, o, n, off in cases:
        vals = b"".join(struct.pack(">I", (i * 0x2b3c4d5e + len(g) * 7919) & 0xffffffff) for i in range(6))
        put("cfgwrite", name, g + b"\0" + o + b"\0" + n + b"\0" + bytes([off]) + vals)
    put("cfgwrite", "extremes", b"x\0\0\0\xff" + b"\xff" * 12 + b"\0" * 12)


if __name__ == "__main__":
    cfgwrite()
    scenarios()
    imports()
    cli()
