"""Citizens' application forms (tờ khai, đơn đề nghị) as filled in at the one-stop counter.

A form is one A4 page: the national motto, the title, "Kính gửi: <agency>", labelled lines
("Họ và tên: …", "Số định danh cá nhân/CCCD: …", "Mã số thuế: …", "Nơi cư trú: …",
"Số điện thoại: …") and a few sentences, then "<place>, ngày … tháng … năm …", the role
("NGƯỜI YÊU CẦU"), "(Ký, ghi rõ họ tên)" and the applicant's name. The label wording varies
between forms and within one kind of form, as it does in the real templates."""

import datetime as dt

from .vocab import (COMMUNES, PROCEDURES, PROVINCES, STREETS, ascii_slug, make_cccd, make_mst,
                    person, random_workday, vn_date)

PROC = {p[0]: p for p in PROCEDURES}

NAME_LABELS = ["Họ, chữ đệm, tên người yêu cầu:", "Họ và tên:", "Họ và tên người yêu cầu:"]
CCCD_LABELS = ["Số định danh cá nhân/CCCD:", "Số định danh cá nhân:", "Số CCCD:",
               "Số căn cước công dân:"]
ADDR_LABELS = ["Nơi cư trú:", "Địa chỉ:", "Nơi thường trú:", "Địa chỉ thường trú:"]
PHONE_LABELS = ["Số điện thoại:", "Điện thoại liên hệ:", "Điện thoại:"]
SIGN_NOTES = ["(Ký, ghi rõ họ tên)", "(Ký và ghi rõ họ tên)"]

# key: title, subtitle choices, procedure (None: the form names none), labels of the
# applicant's name, tax code ("always", "sometimes", None), role under the date line.
FORM_TYPES = {
    "khaisinh": ("TỜ KHAI ĐĂNG KÝ KHAI SINH", [None], "Đăng ký khai sinh",
                 ["Họ, chữ đệm, tên người yêu cầu:"], None, ["NGƯỜI YÊU CẦU"]),
    "kethon": ("TỜ KHAI ĐĂNG KÝ KẾT HÔN", [None], "Đăng ký kết hôn",
               ["Họ, chữ đệm, tên người yêu cầu:", "Họ và tên người yêu cầu:"], None,
               ["NGƯỜI YÊU CẦU"]),
    "trichluc": ("ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC", [None, "(Dùng cho trích lục hộ tịch)"],
                 "Cấp bản sao trích lục hộ tịch", NAME_LABELS, None, ["NGƯỜI YÊU CẦU"]),
    "thue": ("TỜ KHAI ĐĂNG KÝ THUẾ", ["(Dùng cho cá nhân không kinh doanh)", None],
             "Đăng ký thuế", ["Họ và tên người nộp thuế:", "Tên người nộp thuế:"], "always",
             ["NGƯỜI NỘP THUẾ", "NGƯỜI YÊU CẦU"]),
    "kinhdoanh": ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP KINH DOANH", [None], "Cấp giấy phép kinh doanh",
                  ["Họ và tên chủ hộ kinh doanh:", "Họ và tên:"], "always",
                  ["NGƯỜI ĐỀ NGHỊ", "NGƯỜI YÊU CẦU"]),
    "lltp": ("TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP", [None],
             "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", ["Họ và tên:", "Họ, chữ đệm, tên:"],
             None, ["NGƯỜI YÊU CẦU", "NGƯỜI KHAI"]),
    "xaydung": ("ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP XÂY DỰNG", ["(Sử dụng cho nhà ở riêng lẻ)"],
                "Cấp giấy phép xây dựng nhà ở riêng lẻ", ["Họ và tên chủ hộ:", "Tên chủ đầu tư:"],
                "sometimes", ["NGƯỜI LÀM ĐƠN", "NGƯỜI YÊU CẦU"]),
    "denghi": ("ĐƠN ĐỀ NGHỊ", [None], None, ["Tôi tên là:", "Họ và tên:"], "sometimes",
               ["NGƯỜI LÀM ĐƠN"]),
}
# The forms that go with a procedure of the receipts (dossiers: receipt + its form).
FORM_OF_PROCEDURE = {v[2]: k for k, v in FORM_TYPES.items() if v[2] in PROC}

ETHNIC = ["Kinh", "Kinh", "Kinh", "Tày", "Mường", "Thái"]
TRADES = ["Bán lẻ lương thực, thực phẩm, đồ uống", "Dịch vụ ăn uống", "Sửa chữa xe có động cơ",
          "Bán lẻ hàng may mặc, giày dép", "Dịch vụ cắt tóc, làm đầu, gội đầu"]
REQUESTS = [
    "xác nhận thông tin về cư trú để bổ sung hồ sơ xin việc làm",
    "cấp lại bản chính giấy tờ bị mất do thiên tai",
    "xác nhận gia đình có hoàn cảnh khó khăn để con được miễn, giảm học phí",
    "xem xét cho gia đình được sửa chữa lại tường rào đã xuống cấp",
]


def address(rng, prov, districts, dist=None):
    dist = dist or rng.choice(districts)
    if rng.random() < 0.5:
        return "Thôn %d, xã %s, huyện %s, tỉnh %s" % (rng.randrange(1, 12), rng.choice(COMMUNES),
                                                      dist, prov)
    return "Số %d, đường %s, thị trấn %s, huyện %s, tỉnh %s" % (
        rng.randrange(2, 300), rng.choice(STREETS), rng.choice(COMMUNES), dist, prov)


def phone_number(rng):
    return "0%d%02d %03d %03d" % (rng.choice([3, 7, 8, 9]), rng.randrange(100),
                                  rng.randrange(1000), rng.randrange(1000))


def dmy(d):
    return "%02d/%02d/%d" % (d.day, d.month, d.year)


def birthday(rng, year):
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def applicant(rng, province):
    """A person with a CCCD of their province, an address and a phone number."""
    prov, pcode, districts = province
    name, gender = person(rng)
    birth = rng.randrange(1955, 2006)
    return {"name": name, "gender": gender, "birth": birth,
            "cccd": make_cccd(rng, pcode, gender, birth),
            "address": address(rng, prov, districts), "phone": phone_number(rng)}


def form(rng, key=None, province=None, who=None, day=None, mst="auto"):
    """One form part. key: a FORM_TYPES key; who: the applicant (a dict as applicant() makes,
    e.g. the receipt's); day: its date; mst: "valid", "invalid" (printed, but the truth is
    null and the form must be flagged for review), None (no tax code line) or "auto" (valid
    where the form always has one, valid or none where it may) for the forms that may have
    one. The others never have a tax code line."""
    key = key or rng.choice(list(FORM_TYPES))
    title, subtitles, procedure, name_labels, has_mst, roles = FORM_TYPES[key]
    province = province or rng.choice(PROVINCES)
    prov, pcode, districts = province
    who = who or applicant(rng, province)
    dist = rng.choice(districts)
    commune = rng.choice(COMMUNES)
    day = day or random_workday(rng)
    if has_mst is None:
        mst = None
    elif mst == "auto" or (has_mst == "always" and mst is None):
        mst = "valid" if has_mst == "always" or rng.random() < 0.5 else None
    tax_printed = make_mst(rng, prov, valid=(mst == "valid")) if mst else None

    lab_name = rng.choice(name_labels)
    lab_id = rng.choice(CCCD_LABELS)
    lab_addr = rng.choice(ADDR_LABELS)
    lab_phone = rng.choice(PHONE_LABELS)
    lab_mst = "Mã số thuế:" if has_mst == "always" else rng.choice(["Mã số thuế:",
                                                                   "Mã số thuế (nếu có):"])
    born = birthday(rng, who["birth"])
    L = []

    def field(label, value):
        L.append(("%s %s" % (label, value), "field"))

    def person_block(order):
        for what in order:
            if what == "name":
                field(lab_name, who["name"])
            elif what == "born":
                field("Ngày, tháng, năm sinh:", dmy(born))
            elif what == "id":
                field(lab_id, who["cccd"])
            elif what == "mst" and tax_printed:
                field(lab_mst, tax_printed)
            elif what == "addr":
                field(lab_addr, who["address"])
            elif what == "phone":
                field(lab_phone, who["phone"])

    xa = "Ủy ban nhân dân xã %s, huyện %s, tỉnh %s" % (commune, dist, prov)
    place = rng.choice([commune, commune, dist])
    if key == "khaisinh":
        kinh_gui = rng.choice([xa, "UBND xã %s, huyện %s" % (commune, dist)])
        person_block(["name", "addr", "id", "phone"])
        child_g = rng.choice("MF")
        child, _ = person(rng, child_g)
        child = who["name"].split()[0] + " " + " ".join(child.split()[1:])
        dob = day - dt.timedelta(days=rng.randrange(3, 50))
        field("Quan hệ với người được khai sinh:", "Cha" if who["gender"] == "M" else "Mẹ")
        L.append(("Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:", "para"))
        field("Họ, chữ đệm, tên:", child)
        field("Ngày, tháng, năm sinh:", dmy(dob))
        field("Giới tính:", "Nam" if child_g == "M" else "Nữ")
        field("Dân tộc:", rng.choice(ETHNIC) + "; Quốc tịch: Việt Nam")
        field("Nơi sinh:", rng.choice(["Trạm Y tế xã %s, huyện %s, tỉnh %s" % (commune, dist, prov),
                                       "Bệnh viện Đa khoa tỉnh " + prov,
                                       "Trung tâm Y tế huyện %s, tỉnh %s" % (dist, prov)]))
        L.append(("Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được "
                  "sự thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật.", "para"))
        L.append(("Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình.",
                  "para"))
    elif key == "kethon":
        kinh_gui = xa
        person_block(["name", "born", "id", "addr", "phone"])
        field("Dân tộc:", rng.choice(ETHNIC) + "; Quốc tịch: Việt Nam")
        other_g = "F" if who["gender"] == "M" else "M"
        other, _ = person(rng, other_g)
        ob = min(2005, max(1955, who["birth"] + rng.randrange(-6, 7)))
        ocid = make_cccd(rng, rng.choice(PROVINCES)[1], other_g, ob)
        L.append(("Đề nghị đăng ký kết hôn với %s %s, sinh ngày %s, số định danh cá nhân %s, "
                  "cư trú tại %s." % ("bà" if other_g == "F" else "ông", other,
                                       dmy(birthday(rng, ob)), ocid,
                                       address(rng, prov, districts)), "para"))
        L.append(("Chúng tôi cam đoan những lời khai trên đây là đúng sự thật, việc kết hôn của "
                  "chúng tôi là tự nguyện, không vi phạm quy định của Luật Hôn nhân và gia đình.",
                  "para"))
    elif key == "trichluc":
        kinh_gui = rng.choice([xa, "Phòng Tư pháp huyện %s, tỉnh %s" % (dist, prov)])
        person_block(["name", "addr", "id", "phone"])
        what = rng.choice(["khai sinh", "kết hôn", "khai tử"])
        rel = rng.choice(["Bản thân", "Con", "Cha", "Mẹ"])
        field("Quan hệ với người được cấp bản sao trích lục:", rel)
        L.append(("Đề nghị cấp bản sao trích lục %s cho người có tên dưới đây:" % what, "para"))
        if rel == "Bản thân":
            other, ob = who["name"], born
        else:
            other, _ = person(rng)
            ob = birthday(rng, rng.randrange(1940, 2020))
        field("Họ, chữ đệm, tên:", other)
        field("Ngày, tháng, năm sinh:", dmy(ob))
        field("Số lượng bản sao đề nghị cấp:", "%02d bản" % rng.randrange(1, 4))
        L.append(("Tôi cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm "
                  "trước pháp luật về cam đoan của mình.", "para"))
    elif key == "thue":
        kinh_gui = rng.choice(["Chi cục Thuế huyện %s" % dist, "Cục Thuế tỉnh " + prov,
                               "Chi cục Thuế khu vực %s - %s" % tuple(rng.sample(districts, 2))])
        person_block(["name", "mst", "born", "id", "addr", "phone"])
        field("Nơi làm việc:", rng.choice(["Công ty TNHH %s %s" % (rng.choice(["Minh Phát", "An Khang",
                                                                                "Hòa Bình", "Tân Tiến"]), prov),
                                           "Trường Tiểu học xã %s" % commune]))
        L.append(("Đề nghị cơ quan thuế cập nhật thông tin đăng ký thuế theo các nội dung kê khai "
                  "trên đây.", "para"))
        L.append(("Tôi cam đoan những nội dung kê khai là đúng và chịu trách nhiệm trước pháp luật "
                  "về những nội dung đã khai.", "para"))
    elif key == "kinhdoanh":
        kinh_gui = rng.choice(["Phòng Tài chính - Kế hoạch huyện %s" % dist,
                               "Ủy ban nhân dân huyện %s" % dist])
        person_block(["name", "id", "addr", "phone"])
        shop = rng.choice(["Hộ kinh doanh " + who["name"], "Cửa hàng %s %s" % (
            rng.choice(["Minh Anh", "Phúc Lộc", "Hoàng Long", "Thu Hà"]), commune)])
        field("Tên hộ kinh doanh:", shop)
        field(lab_mst, tax_printed)
        field("Địa điểm kinh doanh:", address(rng, prov, districts, dist))
        field("Ngành, nghề kinh doanh:", rng.choice(TRADES))
        L.append(("Đề nghị cơ quan có thẩm quyền cấp Giấy phép kinh doanh cho hộ kinh doanh nêu "
                  "trên. Tôi cam kết chấp hành đầy đủ các quy định của pháp luật về kinh doanh.",
                  "para"))
    elif key == "lltp":
        kinh_gui = "Sở Tư pháp tỉnh " + prov
        person_block(["name", "born", "id", "addr", "phone"])
        field("Giới tính:", "Nam" if who["gender"] == "M" else "Nữ")
        field("Nơi sinh:", "tỉnh " + prov)
        field("Dân tộc:", rng.choice(ETHNIC) + "; Quốc tịch: Việt Nam")
        field("Yêu cầu cấp Phiếu lý lịch tư pháp:", rng.choice(["Số 1", "Số 2"]))
        field("Số lượng Phiếu lý lịch tư pháp yêu cầu cấp:", "%02d Phiếu" % rng.randrange(1, 3))
        L.append(("Tôi xin cam đoan những lời khai trên là đúng sự thật và chịu trách nhiệm về lời "
                  "khai của mình.", "para"))
    elif key == "xaydung":
        kinh_gui = rng.choice(["Ủy ban nhân dân huyện %s" % dist,
                               "Phòng Kinh tế và Hạ tầng huyện %s" % dist])
        person_block(["name", "id", "mst", "addr", "phone"])
        L.append(("Thông tin công trình:", "head"))
        field("Địa điểm xây dựng:", "Thửa đất số %d, tờ bản đồ số %d, %s" % (
            rng.randrange(10, 900), rng.randrange(1, 60), address(rng, prov, districts, dist)))
        field("Loại công trình:", "Nhà ở riêng lẻ, %d tầng" % rng.randrange(1, 5))
        field("Diện tích xây dựng tầng 1:", "%d m²" % rng.randrange(50, 160))
        L.append(("Tôi xin cam kết làm theo đúng giấy phép được cấp, nếu sai tôi xin hoàn toàn "
                  "chịu trách nhiệm và bị xử lý theo quy định của pháp luật.", "para"))
    else:   # denghi: a free request that names no procedure
        kinh_gui = rng.choice(["Ủy ban nhân dân xã %s" % commune, xa])
        person_block(["name", "born", "id", "mst", "addr", "phone"])
        L.append(("Nay tôi làm đơn này kính đề nghị Ủy ban nhân dân xã %s %s." % (
            commune, rng.choice(REQUESTS)), "para"))
        L.append(("Tôi xin cam đoan những nội dung trình bày trên là đúng sự thật. Kính mong "
                  "quý cơ quan xem xét, giải quyết.", "para"))
    subtitle = rng.choice(subtitles)
    form_no = None
    if key == "thue" and rng.random() < 0.6:
        form_no = "Mẫu số: 05-ĐK-TCT"
    elif key == "khaisinh" and rng.random() < 0.4:
        form_no = "Mẫu Tờ khai đăng ký khai sinh"
    return {
        "kind": "form", "slug": "form-" + key, "form_key": key, "type": title,
        "subtitle": subtitle, "form_no": form_no, "kinh_gui": kinh_gui, "lines": L,
        "applicant": who["name"], "citizen_id": who["cccd"], "address": who["address"],
        "tax_printed": tax_printed, "tax_code": tax_printed if mst == "valid" else None,
        "review": mst == "invalid", "procedure": procedure, "place": place,
        "date": day.isoformat(), "date_line": vn_date(place, day),
        "sign_role": rng.choice(roles), "sign_note": rng.choice(SIGN_NOTES),
        "body_pt": rng.choice([13, 13, 14]), "spacing": rng.choice([1.25, 1.35, 1.45]),
        "pages": 1, "page": "A4", "seal_text": None, "source": None,
        "province": province, "stem": "form-%s-%s" % (key, ascii_slug(prov)),
    }


def form_mst_kinds():
    """The form keys that may carry a tax code."""
    return [k for k, v in FORM_TYPES.items() if v[4]]
