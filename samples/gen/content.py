"""Content of a page part: corpus documents, invented documents, receipts and their truth fields."""

import datetime as dt
import re

import qrcode

from .vocab import (COMMUNES, CONGVAN_SUBJECTS, CONGVAN_UNITS, DEPARTMENTS, DOC_TYPES,
                    ALL_DOC_TYPES,
                    DOSSIER_RE, NOI_NHAN_PROV, PROCEDURES, PROVINCES, RECEIPT_TYPE, STREETS,
                    add_working_days, ascii_slug, make_cccd, person, random_workday, vn_date,
                    vn_long_date)


FIELD_KEYS = ("type", "number", "issuer", "issuer_parent", "place", "date", "subject",
              "signer", "signer_role", "dossier_code", "citizen_id", "applicant",
              "procedure", "received", "due")
# The field sets (--fields, --fields-small) have every field of the result object
# (interface.md), tax_code included, and the new address.
FIELD_KEYS_FULL = ("type", "number", "issuer", "issuer_parent", "place", "date", "subject",
                   "signer", "signer_role", "dossier_code", "citizen_id", "tax_code",
                   "applicant", "procedure", "received", "due", "address")


def corpus_document(cdoc, rng, pages=1):
    lay = cdoc["layout"]
    body = list(cdoc["body"])
    if pages == 1:
        body = [p for p in body if not any(re.search(r, p) for r in lay["single_page_skip"])]
    noi_nhan = cdoc["noi_nhan"] or (NOI_NHAN_PROV[:4] + ["- Lưu: VT, KSTT."])
    return {
        "kind": "document", "source": cdoc["file"], "slug": lay["slug"],
        "parent_lines": [], "issuer_lines": cdoc["issuer_lines"], "issuer_parent": None,
        "issuer": cdoc["issuer"], "number": cdoc["number"], "type": cdoc["type"],
        "subject": cdoc["subject"], "place": cdoc["place"], "date": cdoc["date"],
        "date_line": cdoc["date_line"], "body": body, "noi_nhan": noi_nhan,
        "signer_prefix": lay["signer_prefix"], "signer_role": lay["signer_role"],
        "signer": cdoc["signer"], "kinh_gui": None, "pages": pages,
        "header_pt": 12.5, "body_pt": rng.choice([13, 13, 14]), "spacing": 1.2,
        "seal_text": cdoc["issuer"],
    }


def invented_document(rng, corpus, pages=1, type_name="random", province=None):
    prov, _, districts = province or rng.choice(PROVINCES)
    level = rng.choice(["tinh", "tinh", "so", "huyen"])
    if type_name == "random":
        type_name = rng.choice(list(DOC_TYPES) + [None, None])   # None = công văn
    # body text from a long corpus document (the Hưng Yên decision itself is too short)
    src = rng.choice([c for c in corpus if len(c["body"]) >= 40])
    d = random_workday(rng, lo=dt.date.fromisoformat(src["date"]) + dt.timedelta(days=20),
                       hi=dt.date(2025, 6, 20))
    if level == "tinh":
        parent, issuer_lines, sym = [], ["ỦY BAN NHÂN DÂN", "TỈNH " + prov.upper()], "UBND"
        place, org = prov, "ỦY BAN NHÂN DÂN"
        head_role, deputy = "CHỦ TỊCH", "PHÓ CHỦ TỊCH"
        seal_text, authority = "ỦY BAN NHÂN DÂN TỈNH " + prov.upper(), "ỦY BAN NHÂN DÂN TỈNH " + prov.upper()
        proposer, executors = "Chánh Văn phòng UBND tỉnh", ("Chánh Văn phòng UBND tỉnh; Thủ trưởng các sở, "
                                                            "ban, ngành tỉnh; Chủ tịch UBND các huyện, thị xã, thành phố")
        recips = NOI_NHAN_PROV
        kinh_gui_opts = [["Các sở, ban, ngành tỉnh;", "UBND các huyện, thị xã, thành phố."],
                         ["Văn phòng Chính phủ (Cục Kiểm soát thủ tục hành chính)"],
                         ["Trung tâm Phục vụ hành chính công tỉnh"],
                         ["Các sở, ban, ngành tỉnh;", "Bưu điện tỉnh;", "UBND các huyện, thị xã, thành phố."]]
    elif level == "so":
        lines, sym, head_role, deputy = rng.choice(DEPARTMENTS)
        parent, issuer_lines = ["UBND TỈNH " + prov.upper()], list(lines)
        place, org = prov, None
        name_ = " ".join(lines)
        if name_ == "VĂN PHÒNG":
            seal_text = "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH " + prov.upper()
            authority, proposer = "CHÁNH VĂN PHÒNG UBND TỈNH " + prov.upper(), "Trưởng phòng Kiểm soát thủ tục hành chính"
        else:
            seal_text = name_ + " TỈNH " + prov.upper()
            authority, proposer = "GIÁM ĐỐC " + name_, "Chánh Văn phòng Sở"
        executors = "Chánh Văn phòng, Trưởng các phòng, đơn vị thuộc Sở"
        unit_ = "Văn phòng" if name_ == "VĂN PHÒNG" else "Sở"
        recips = ["- UBND tỉnh (b/c);", "- Lãnh đạo %s;" % unit_, "- Các phòng, đơn vị thuộc %s;" % unit_,
                  "- UBND các huyện, thị xã, thành phố;", "- Trung tâm Phục vụ HCC tỉnh;"]
        kinh_gui_opts = [["UBND các huyện, thị xã, thành phố"], ["Các phòng, đơn vị thuộc Sở"],
                         ["Các sở, ban, ngành tỉnh;", "UBND các huyện, thị xã, thành phố."]]
    else:
        dist = rng.choice(districts)
        parent = ["UBND TỈNH " + prov.upper()]
        issuer_lines, sym = ["ỦY BAN NHÂN DÂN", "HUYỆN " + dist.upper()], "UBND"
        place, org = dist, "ỦY BAN NHÂN DÂN"
        head_role, deputy = "CHỦ TỊCH", "PHÓ CHỦ TỊCH"
        seal_text = "ỦY BAN NHÂN DÂN HUYỆN %s TỈNH %s" % (dist.upper(), prov.upper())
        authority, proposer = "ỦY BAN NHÂN DÂN HUYỆN " + dist.upper(), "Chánh Văn phòng HĐND và UBND huyện"
        executors = ("Chánh Văn phòng HĐND và UBND huyện; Trưởng các phòng, ban thuộc UBND huyện; "
                     "Chủ tịch UBND các xã, thị trấn")
        recips = ["- UBND tỉnh (b/c);", "- TT. Huyện ủy, TT. HĐND huyện;", "- CT, các PCT UBND huyện;",
                  "- Các phòng, ban thuộc UBND huyện;", "- UBND các xã, thị trấn;"]
        kinh_gui_opts = [["Các phòng, ban thuộc UBND huyện;", "UBND các xã, thị trấn."],
                         ["UBND các xã, thị trấn"]]
    n = rng.choice([rng.randrange(1, 10), rng.randrange(10, 300), rng.randrange(300, 3500)])
    if type_name is None:
        number = "%02d/%s-%s" % (n, sym, rng.choice(CONGVAN_UNITS))
        subject = rng.choice(CONGVAN_SUBJECTS)
        subject = subject[0].upper() + subject[1:] if rng.random() < 0.3 else subject
    else:
        number = "%02d/%s-%s" % (n, ALL_DOC_TYPES[type_name][0], sym)
        subject = rng.choice(ALL_DOC_TYPES[type_name][1])
    # signer block: TM. <organ> for collective bodies, KT. for a deputy
    name, _ = person(rng)
    deputy_signs = rng.random() < 0.5
    prefix = []
    if org and type_name is not None:
        prefix.append("TM. " + org)
    if deputy_signs:
        prefix.append("KT. " + head_role)
        role = deputy
    else:
        role = head_role
    if org and type_name is None and not deputy_signs:
        prefix = ["TM. " + org]
    # body: consecutive paragraphs of one corpus document (older than this one)
    body_pool = [p for p in src["body"] if not p.isupper() or re.match(r"^[IVX]+\.", p)]
    body_pool = [p for p in body_pool if not p.startswith(("Căn cứ", "Theo đề nghị", "Điều "))]
    starts = [i for i, p in enumerate(body_pool[:-8])
              if re.match(r"^[IVX]+\. ", p) or (len(p) > 120 and p[0].isupper())]
    start = rng.choice(starts) if starts else 0
    body = body_pool[start:start + 60]
    if type_name == "QUYẾT ĐỊNH":
        body = decision_body(rng, corpus, authority, proposer, executors, subject, body)
    noi_nhan = []
    if type_name is None:
        noi_nhan.append("- Như trên;")
    elif type_name == "QUYẾT ĐỊNH":
        noi_nhan.append("- Như Điều 3;")
    noi_nhan += rng.sample(recips, 3)
    noi_nhan.append("- Lưu: VT, %s." % rng.choice(CONGVAN_UNITS))
    kinh_gui = rng.choice(kinh_gui_opts) if type_name is None else None
    issuer = " ".join(issuer_lines)
    return {
        "kind": "document", "source": src["file"], "slug": ascii_slug(prov),
        "parent_lines": parent, "issuer_lines": issuer_lines,
        "issuer_parent": " ".join(parent) or None, "issuer": issuer, "number": number,
        "type": type_name, "subject": subject, "place": place, "date": d.isoformat(),
        "date_line": vn_date(place, d), "body": body, "noi_nhan": noi_nhan,
        "signer_prefix": prefix, "signer_role": role, "signer": name, "kinh_gui": kinh_gui,
        "pages": pages, "header_pt": rng.choice([12, 12.5, 13]), "body_pt": rng.choice([13, 14]),
        "spacing": rng.choice([1.15, 1.2, 1.3]),
        "seal_text": seal_text,
    }


def decision_body(rng, corpus, authority, proposer, executors, subject, pool):
    """A QUYẾT ĐỊNH: authority, legal bases, "QUYẾT ĐỊNH:", Điều 1-3 (Điều 2 from the corpus)."""
    bases = [p for c in corpus for p in c["body"] if p.startswith("Căn cứ Luật")]
    bases += ["Căn cứ Nghị định số 61/2018/NĐ-CP ngày 23/4/2018 của Chính phủ về thực hiện cơ chế "
              "một cửa, một cửa liên thông trong giải quyết thủ tục hành chính;",
              "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08/4/2020 của Chính phủ về thực hiện thủ tục "
              "hành chính trên môi trường điện tử;"]
    what = re.sub(r"^Về việc ", "", subject)
    what = what[0].upper() + what[1:]
    if what.startswith("Ban hành "):
        art1 = "Ban hành kèm theo Quyết định này " + what[len("Ban hành "):] + "."
    else:
        art1 = what + " (chi tiết tại Phụ lục kèm theo Quyết định này)."
    body = [authority] + bases[:rng.choice([2, 3])] + ["Theo đề nghị của %s." % proposer,
                                                       "QUYẾT ĐỊNH:", "Điều 1. " + art1,
                                                       "Điều 2. Tổ chức thực hiện:"]
    pool = [p for p in pool if not re.match(r"^[IVX]+\. ", p) and len(p) > 60]
    body += pool[:rng.randrange(2, 5)]
    body.append("Điều 3. Quyết định này có hiệu lực kể từ ngày ký. %s và các tổ chức, cá nhân có "
                "liên quan chịu trách nhiệm thi hành Quyết định này./." % executors)
    return body


def receipt(rng, province=None, small=False, proc=None, typo=False):
    """A one-stop receipt. proc (a PROCEDURES entry) fixes the procedure; typo prints a
    "Mã hồ sơ:" that differs from the QR's code by one digit. Neither draws anything from
    rng when left at its default, so the older sets stay the same."""
    province = province or rng.choice(PROVINCES)
    prov, pcode, districts = province
    hcode = 10 + PROVINCES.index(province) * 3                     # invented; format-valid agency codes
    if rng.random() < 0.6:
        parent, issuer_lines = ["UBND TỈNH " + prov.upper()], ["TRUNG TÂM PHỤC VỤ", "HÀNH CHÍNH CÔNG"]
        unit = "Trung tâm Phục vụ hành chính công tỉnh " + prov
        agency = "000.00.%02d.H%02d" % (rng.randrange(1, 40), hcode)
        place = prov
    else:
        dist = rng.choice(districts)
        parent, issuer_lines = ["UBND HUYỆN " + dist.upper()], ["BỘ PHẬN MỘT CỬA"]
        unit = "Bộ phận Một cửa UBND huyện " + dist
        agency = "000.%02d.%02d.H%02d" % (rng.randrange(1, 30), rng.randrange(1, 40), hcode)
        place = dist
    recv = random_workday(rng)
    seq = rng.randrange(1, 400)
    code = "%s-%s-%04d" % (agency, recv.strftime("%y%m%d"), seq)
    assert DOSSIER_RE.match(code)
    proc, days, papers = proc or rng.choice(PROCEDURES)
    due = add_working_days(recv, days)
    applicant, gender = person(rng)
    birth = rng.randrange(1955, 2006)
    cid = make_cccd(rng, pcode if rng.random() < 0.8 else rng.choice(PROVINCES)[1], gender, birth)
    officer, _ = person(rng)
    dist = rng.choice(districts)
    if rng.random() < 0.5:
        addr = "Thôn %d, xã %s, huyện %s, tỉnh %s" % (rng.randrange(1, 12), rng.choice(COMMUNES), dist, prov)
    else:
        addr = "Số %d, đường %s, thị trấn %s, huyện %s, tỉnh %s" % (
            rng.randrange(2, 300), rng.choice(STREETS), rng.choice(COMMUNES), dist, prov)
    phone = "0%d%02d %03d %03d" % (rng.choice([3, 7, 8, 9]), rng.randrange(100), rng.randrange(1000),
                                   rng.randrange(1000))          # 10 digits, e.g. 0912 345 678
    th, tm = rng.randrange(7, 11), rng.choice([0, 5, 10, 15, 20, 30, 40, 45, 50])
    dh = rng.choice([8, 9, 10, 14, 15, 16])
    lines = [
        ("%s tiếp nhận hồ sơ của:" % unit, "r", False),
        ("Ông/Bà: " + applicant, "r", False),
        ("Số CCCD: " + cid, "r", False),
        ("Địa chỉ: " + addr, "r", False),
        ("Số điện thoại: " + phone, "r", False),
        ("Nội dung yêu cầu giải quyết: " + proc, "r", False),
        ("1. Thành phần hồ sơ nộp gồm:", "r", False),
    ]
    for k, p in enumerate(papers):
        lines.append(("- " + p + (";" if k < len(papers) - 1 else "."), "r", True))
    lines += [
        ("2. Số lượng hồ sơ: 01 (bộ).", "r", False),
        ("3. Thời gian giải quyết hồ sơ theo quy định: %02d ngày làm việc." % days, "r", False),
        ("4. Thời gian nhận hồ sơ: %02d giờ %02d phút, %s." % (th, tm, vn_long_date(recv)), "r", False),
        ("5. Thời gian trả kết quả giải quyết hồ sơ: %02d giờ 00 phút, %s." % (dh, vn_long_date(due)),
         "r", False),
        ("6. Đăng ký nhận kết quả tại: %s." % unit, "r", False),
    ]
    if not small:
        lines.append(("Vào Sổ theo dõi hồ sơ, Quyển số: 01, Số thứ tự: %d." % seq, "r", False))
    qr_payload = "%s|%s" % (code, due.isoformat())
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0)
    q.add_data(qr_payload)
    q.make(fit=True)
    printed = code
    if typo:               # a typo at the counter: one digit of the printed code differs
        at = rng.choice([i for i, ch in enumerate(code) if ch.isdigit()])
        printed = code[:at] + rng.choice([d for d in "0123456789" if d != code[at]]) + code[at + 1:]
    return {
        "kind": "receipt", "slug": "receipt-" + code.replace(".", ""), "parent_lines": parent,
        "issuer_lines": issuer_lines, "issuer_parent": " ".join(parent),
        "issuer": " ".join(issuer_lines), "place": place, "received": recv.isoformat(),
        "due": due.isoformat(), "date_line": vn_date(place, recv), "dossier_code": code,
        "citizen_id": cid, "applicant": applicant, "procedure": proc, "officer": officer,
        "lines": lines, "qr_payload": qr_payload, "qr_matrix": q.get_matrix(),
        "body_pt": 11.5 if small else 13, "page": "A5" if small else "A4", "pages": 1,
        "seal_text": None,
        "printed_code": printed, "review": printed != code,
        "address": addr, "gender": gender, "birth": birth, "phone": phone, "province": province,
        "days": days, "papers": papers,
    }


def part_fields(p, full=False):
    """The truth fields of a part. full: the field sets' keys (FIELD_KEYS_FULL)."""
    f = dict.fromkeys(FIELD_KEYS_FULL if full else FIELD_KEYS)
    if p["kind"] == "form":
        f.update(type=p["type"], applicant=p["applicant"], citizen_id=p["citizen_id"],
                 tax_code=p["tax_code"], address=p["address"], procedure=p["procedure"],
                 place=p["place"], date=p["date"])
    elif p["kind"] == "document":
        f.update(type=p["type"], number=p["number"], issuer=p["issuer"],
                 issuer_parent=p["issuer_parent"], place=p["place"], date=p["date"],
                 subject=p["subject"], signer=p["signer"], signer_role=p["signer_role"])
    else:
        f.update(type=RECEIPT_TYPE, issuer=p["issuer"], issuer_parent=p["issuer_parent"],
                 place=p["place"], date=p["received"], signer=p["officer"],
                 signer_role="NGƯỜI TIẾP NHẬN HỒ SƠ", dossier_code=p["dossier_code"],
                 citizen_id=p["citizen_id"], applicant=p["applicant"], procedure=p["procedure"],
                 received=p["received"], due=p["due"])
        if full:
            f["address"] = p["address"]
    return f
