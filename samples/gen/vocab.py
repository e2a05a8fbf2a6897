"""Vietnamese vocabulary: names, places, document types, procedures, dates and identifiers."""

import datetime as dt
import re
import unicodedata


RECEIPT_TYPE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"

DOSSIER_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
CCCD_RE = re.compile(r"^(0\d{2})(\d)(\d{2})(\d{6})$")


def nfc(s):
    return unicodedata.normalize("NFC", s)


def ascii_slug(s):
    s = nfc(s).replace("Đ", "D").replace("đ", "d")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "", s.lower())


# name, CCCD province code, districts (pre-July-2025 units; all dates stay before then)
PROVINCES = [
    ("Hưng Yên", "033", ["Văn Lâm", "Khoái Châu", "Văn Giang", "Kim Động"]),
    ("Gia Lai", "064", ["Chư Sê", "Đức Cơ", "Ia Grai", "Mang Yang"]),
    ("Đồng Nai", "075", ["Long Thành", "Trảng Bom", "Nhơn Trạch", "Định Quán"]),
    ("Kon Tum", "062", ["Đắk Hà", "Sa Thầy", "Ngọc Hồi"]),
    ("Nghệ An", "040", ["Diễn Châu", "Quỳnh Lưu", "Nghi Lộc"]),
    ("Thanh Hóa", "038", ["Hoằng Hóa", "Quảng Xương", "Thọ Xuân"]),
    ("Quảng Ninh", "022", ["Vân Đồn", "Tiên Yên", "Hải Hà"]),
    ("Bắc Ninh", "027", ["Tiên Du", "Yên Phong", "Gia Bình"]),
    ("Thái Bình", "034", ["Kiến Xương", "Tiền Hải", "Vũ Thư"]),
    ("Quảng Nam", "049", ["Duy Xuyên", "Thăng Bình", "Núi Thành"]),
    ("Bình Định", "052", ["Tuy Phước", "Phù Cát", "Hoài Ân"]),
    ("Lâm Đồng", "068", ["Đức Trọng", "Di Linh", "Lâm Hà"]),
    ("Long An", "080", ["Đức Hòa", "Cần Giuộc", "Bến Lức"]),
    ("An Giang", "089", ["Chợ Mới", "Thoại Sơn", "Phú Tân"]),
    ("Hà Tĩnh", "042", ["Cẩm Xuyên", "Thạch Hà", "Đức Thọ"]),
]
COMMUNES = ["Tân Lập", "Hòa Bình", "Quang Trung", "Thống Nhất", "Đông Hòa", "Tân Tiến",
            "Minh Đức", "Hưng Thịnh", "An Phú", "Phú Xuân", "Nghĩa Hiệp", "Tân Phong"]
STREETS = ["Nguyễn Văn Linh", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt",
           "Phạm Ngũ Lão", "Nguyễn Trãi", "Điện Biên Phủ", "Quang Trung", "Hùng Vương"]

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_M = ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Công", "Xuân", "Ngọc", "Đình"]
MIDDLE_F = ["Thị", "Thu", "Ngọc", "Thanh", "Kim", "Hồng", "Minh", "Thùy"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Minh", "Nam",
           "Phong", "Quang", "Sơn", "Thắng", "Tuấn", "Việt", "Đạt", "Huy"]
GIVEN_F = ["Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga",
           "Phương", "Thảo", "Trang", "Vân", "Yến"]

# Departments of a provincial People's Committee: bold lines, symbol, head role.
DEPARTMENTS = [
    (["SỞ NỘI VỤ"], "SNV", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["SỞ TƯ PHÁP"], "STP", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["SỞ KHOA HỌC", "VÀ CÔNG NGHỆ"], "SKHCN", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["SỞ TÀI CHÍNH"], "STC", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"),
    (["VĂN PHÒNG"], "VP", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"),
]

# type name, abbreviation (Phụ lục III), subjects
DOC_TYPES = {
    "QUYẾT ĐỊNH": ("QĐ", [
        "Về việc công bố danh mục thủ tục hành chính được tiếp nhận, giải quyết không phụ thuộc vào địa giới hành chính",
        "Ban hành Quy chế tiếp nhận, số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại Bộ phận Một cửa các cấp",
        "Về việc phê duyệt quy trình nội bộ giải quyết thủ tục hành chính trên môi trường điện tử",
        "Về việc kiện toàn Tổ công tác triển khai cơ chế một cửa, một cửa liên thông",
    ]),
    "KẾ HOẠCH": ("KH", [
        "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính năm 2024",
        "Triển khai chữ ký số trong giải quyết thủ tục hành chính trên địa bàn",
        "Rà soát, đơn giản hóa thủ tục hành chính nội bộ năm 2025",
    ]),
    "THÔNG BÁO": ("TB", [
        "Kết luận của Chủ tịch Ủy ban nhân dân tại cuộc họp về cải cách thủ tục hành chính",
        "Về việc tạm dừng tiếp nhận hồ sơ trực tiếp để nâng cấp hệ thống thông tin",
        "Danh mục thủ tục hành chính thực hiện dịch vụ công trực tuyến toàn trình",
    ]),
    "BÁO CÁO": ("BC", [
        "Kết quả thực hiện cơ chế một cửa, một cửa liên thông quý I năm 2024",
        "Tình hình số hóa hồ sơ, kết quả giải quyết thủ tục hành chính 6 tháng đầu năm",
        "Kết quả kiểm soát thủ tục hành chính năm 2023",
    ]),
    "TỜ TRÌNH": ("TTr", [
        "Về việc đề nghị phê duyệt kinh phí nâng cấp Hệ thống thông tin giải quyết thủ tục hành chính",
    ]),
}
CONGVAN_SUBJECTS = [
    "triển khai số hóa hồ sơ, kết quả giải quyết thủ tục hành chính",
    "đôn đốc thực hiện chứng thực bản sao điện tử từ bản chính",
    "tăng cường tái sử dụng dữ liệu đã được số hóa",
    "kết nối Hệ thống thông tin giải quyết thủ tục hành chính với Kho quản lý dữ liệu điện tử",
    "báo cáo tình hình thực hiện thủ tục hành chính trên môi trường điện tử",
]
CONGVAN_UNITS = ["KSTT", "VX", "TH", "NC", "KT", "CCHC"]

PROCEDURES = [
    ("Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan có thẩm quyền của Việt Nam cấp", 1,
     ["Bản chính giấy tờ, văn bản làm cơ sở để chứng thực bản sao", "Bản sao cần chứng thực"]),
    ("Đăng ký khai sinh", 1, ["Tờ khai đăng ký khai sinh (bản chính)", "Giấy chứng sinh (bản chính)"]),
    ("Đăng ký kết hôn", 3, ["Tờ khai đăng ký kết hôn (bản chính)", "Giấy xác nhận tình trạng hôn nhân (bản chính)"]),
    ("Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam", 10,
     ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp (bản chính)", "Bản chụp Căn cước công dân"]),
    ("Cấp giấy phép xây dựng nhà ở riêng lẻ", 15,
     ["Đơn đề nghị cấp giấy phép xây dựng (bản chính)", "Bản sao giấy tờ về quyền sử dụng đất",
      "Bản vẽ thiết kế xây dựng (02 bộ)"]),
    ("Đăng ký thành lập hộ kinh doanh", 3,
     ["Giấy đề nghị đăng ký hộ kinh doanh (bản chính)", "Bản sao giấy tờ pháp lý của cá nhân"]),
    ("Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", 10,
     ["Đơn đăng ký biến động đất đai (bản chính)", "Giấy chứng nhận đã cấp (bản gốc)",
      "Hợp đồng chuyển nhượng có công chứng (bản chính)"]),
    ("Cấp bản sao trích lục hộ tịch", 1, ["Tờ khai cấp bản sao trích lục hộ tịch (bản chính)"]),
]

NOI_NHAN_PROV = ["- Văn phòng Chính phủ (Cục KSTTHC);", "- TT. Tỉnh ủy, TT. HĐND tỉnh;",
                 "- Chủ tịch, các PCT UBND tỉnh;", "- Các sở, ban, ngành tỉnh;",
                 "- UBND các huyện, thị xã, thành phố;", "- Trung tâm Phục vụ HCC tỉnh;"]


def vn_date(place, d):
    """Date line per NĐ 30: days < 10 and months 1, 2 zero-padded, other months not."""
    day = "%02d" % d.day
    month = "%02d" % d.month if d.month <= 2 else str(d.month)
    return "%s, ngày %s tháng %s năm %d" % (place, day, month, d.year)


def vn_long_date(d):
    day = "%02d" % d.day
    month = "%02d" % d.month if d.month <= 2 else str(d.month)
    return "ngày %s tháng %s năm %d" % (day, month, d.year)


def person(rng, gender=None):
    if gender is None:
        gender = rng.choice("MF")
    if gender == "M":
        name = "%s %s %s" % (rng.choice(SURNAMES), rng.choice(MIDDLE_M), rng.choice(GIVEN_M))
    else:
        name = "%s %s %s" % (rng.choice(SURNAMES), rng.choice(MIDDLE_F), rng.choice(GIVEN_F))
    return name, gender


def make_cccd(rng, prov_code, gender, birth_year):
    century = 0 if birth_year < 2000 else (2 if birth_year < 2100 else 4)
    g = century + (0 if gender == "M" else 1)
    cid = "%s%d%02d%06d" % (prov_code, g, birth_year % 100, rng.randrange(1000000))
    assert CCCD_RE.match(cid) and 1 <= int(cid[:3]) <= 96
    return cid


def add_working_days(d, n):
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def random_workday(rng, lo=dt.date(2021, 3, 1), hi=dt.date(2025, 6, 20)):
    while True:
        d = lo + dt.timedelta(days=rng.randrange((hi - lo).days))
        if d.weekday() < 5:
            return d


# ---- field-extraction sets (gen/fieldset.py): more document types, forms, tax codes ----

# More types for invented documents of the field sets (the random, small and eval sets draw
# from DOC_TYPES only, so adding here changes none of their files).
EXTRA_DOC_TYPES = {
    "CHỈ THỊ": ("CT", [
        "Về việc tăng cường kỷ luật, kỷ cương trong giải quyết thủ tục hành chính",
        "Về đẩy mạnh thanh toán trực tuyến nghĩa vụ tài chính trong thủ tục hành chính",
    ]),
    "HƯỚNG DẪN": ("HD", [
        "Quy trình số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại Bộ phận Một cửa",
        "Thực hiện chứng thực bản sao điện tử từ bản chính",
    ]),
    "CHƯƠNG TRÌNH": ("CTr", [
        "Cải cách hành chính giai đoạn 2021 - 2025",
        "Chuyển đổi số trong giải quyết thủ tục hành chính năm 2024",
    ]),
    "GIẤY MỜI": ("GM", [
        "Dự hội nghị triển khai Kho quản lý dữ liệu điện tử của tổ chức, cá nhân",
        "Họp đánh giá kết quả số hóa hồ sơ thủ tục hành chính quý II",
    ]),
    "PHƯƠNG ÁN": ("PA", [
        "Đơn giản hóa thủ tục hành chính, giấy tờ công dân liên quan đến quản lý dân cư",
    ]),
}
ALL_DOC_TYPES = dict(DOC_TYPES, **EXTRA_DOC_TYPES)

# Tax-office province prefixes of the MST (first two digits), by province.
MST_PREFIX = {
    "Hưng Yên": "09", "Gia Lai": "59", "Đồng Nai": "36", "Kon Tum": "61", "Nghệ An": "29",
    "Thanh Hóa": "28", "Quảng Ninh": "57", "Bắc Ninh": "23", "Thái Bình": "10",
    "Quảng Nam": "40", "Bình Định": "41", "Lâm Đồng": "58", "Long An": "11", "An Giang": "16",
    "Hà Tĩnh": "30",
}
MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
MST_RE = re.compile(r"^\d{10}(-\d{3})?$")


def mst_check_digit(first9):
    """standards.md §3: 10 - (sum w_i d_i mod 11); None when that is 10 (no valid code)."""
    c = 10 - sum(w * int(d) for w, d in zip(MST_WEIGHTS, first9)) % 11
    return None if c == 10 else c


def mst_valid(s):
    """A tax code as standards.md §3 defines it: check digit, serial and branch not zero."""
    if not MST_RE.match(s) or s[2:9] == "0000000" or s[11:] == "000":
        return False
    return mst_check_digit(s[:9]) == int(s[9])


def make_mst(rng, prov, valid=True, branch=False):
    """A 10-digit tax code (13 with a branch) of the province; valid=False gives one whose
    check digit is wrong (the other nine digits are those of a real-looking code)."""
    while True:
        first9 = MST_PREFIX.get(prov, "01") + "%07d" % rng.randrange(1, 10000000)
        c = mst_check_digit(first9)
        if c is not None:
            break
    if not valid:
        c = rng.choice([d for d in range(10) if d != c])
    s = first9 + str(c)
    if branch:
        s += "-%03d" % rng.randrange(1, 30)
    assert mst_valid(s) == valid, s
    return s
