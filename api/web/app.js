/*
 * sohoa web page: search the archive, open a result (fields, signed PDF, XML
 * e-result, verification), the review queue and the counter's recent scans.
 * Plain JavaScript, no dependencies. Server data only ever reaches the page
 * through textContent / attributes, never as HTML.
 */
'use strict';

(function () {
	var TOKEN_KEY = 'sohoa-token';
	var LANG_KEY = 'sohoa-lang';
	var RECENT_MS = 3000;

	/* The result object's fields (../shared/docs/interface.md, README). */
	var FIELDS = ['type', 'number', 'issuer', 'issuer_parent', 'place', 'date', 'subject',
		'signer', 'signer_role', 'authority', 'dossier_code', 'citizen_id', 'tax_code',
		'applicant', 'address', 'procedure', 'received', 'due'];
	var LOCKED = { dossier_code: true };  /* cannot be corrected (docs/internals/review.md) */
	var LOW_CONFIDENCE = 0.9;

	var I18N = {
		vi: {
			'app.title': 'sohoa — Lưu trữ số',
			'app.subtitle': 'Lưu trữ số',
			'nav.search': 'Tìm kiếm', 'nav.review': 'Chờ duyệt', 'nav.recent': 'Mới quét',
			'logout': 'Đăng xuất',
			'login.title': 'Đăng nhập',
			'login.token': 'Mã truy cập (token)',
			'login.hint': 'Mã do quản trị viên cấp (sohoa token add). Chỉ lưu trong thẻ trình duyệt này.',
			'login.submit': 'Đăng nhập',
			'login.checking': 'Đang kiểm tra mã…',
			'login.refused': 'Mã truy cập bị từ chối: {0}',
			'login.expired': 'Phiên làm việc không còn hợp lệ, vui lòng đăng nhập lại: {0}',
			'scope.read': 'chỉ đọc', 'scope.review': 'duyệt', 'scope.admin': 'quản trị',
			'search.title': 'Tìm kiếm kết quả',
			'search.citizen_id': 'Số CCCD / MST',
			'search.from': 'Từ ngày', 'search.to': 'Đến ngày',
			'search.q': 'Toàn văn', 'search.limit': 'Số kết quả tối đa',
			'search.submit': 'Tìm', 'search.clear': 'Xoá bộ lọc',
			'search.searching': 'Đang tìm…',
			'search.count': 'Tìm thấy {0} kết quả.',
			'search.none': 'Không có kết quả nào phù hợp.',
			'search.latest': 'Các kết quả mới nhất ({0}).',
			'col.code': 'Mã kết quả / id', 'col.review': 'Cần duyệt', 'col.kind': 'Loại',
			'col.received_at': 'Tiếp nhận lúc', 'col.field': 'Trường', 'col.value': 'Giá trị',
			'col.confidence': 'Độ tin cậy', 'col.file': 'Tệp', 'col.folder': 'Thư mục',
			'col.state': 'Trạng thái', 'col.time': 'Thời gian', 'col.result': 'Kết quả',
			'field.type': 'Loại văn bản', 'field.number': 'Số, ký hiệu',
			'field.issuer': 'Cơ quan ban hành', 'field.issuer_parent': 'Cơ quan chủ quản',
			'field.place': 'Địa danh', 'field.date': 'Ngày ban hành', 'field.subject': 'Trích yếu',
			'field.signer': 'Người ký', 'field.signer_role': 'Chức vụ',
			'field.authority': 'Thẩm quyền ký', 'field.dossier_code': 'Mã hồ sơ',
			'field.citizen_id': 'Số CCCD', 'field.tax_code': 'MST', 'field.applicant': 'Người nộp',
			'field.address': 'Địa chỉ', 'field.procedure': 'Thủ tục', 'field.received': 'Ngày nhận',
			'field.due': 'Ngày hẹn trả',
			'meta.result_code': 'Mã kết quả', 'meta.id': 'Mã định danh (sha256)',
			'meta.kind': 'Loại', 'meta.source': 'Tệp nguồn', 'meta.received_at': 'Tiếp nhận lúc',
			'meta.pages': 'Số trang', 'meta.version': 'Phiên bản', 'meta.signed': 'Đã ký số',
			'kind.document': 'Văn bản', 'kind.receipt': 'Giấy tiếp nhận', 'kind.form': 'Tờ khai, đơn',
			'kind.unknown': 'Không rõ',
			'yes': 'có', 'no': 'không',
			'back.search': '← Tìm kiếm', 'back.review': '← Chờ duyệt',
			'result.loading': 'Đang tải kết quả…',
			'result.fields': 'Các trường', 'result.files': 'Tệp', 'result.pdf': 'Bản PDF đã ký',
			'result.xml': 'Kết quả điện tử (XML)', 'result.corrections': 'Các lần sửa',
			'result.part': 'Phần {0}, trang {1}–{2}',
			'result.part1': 'Phần {0}, trang {1}',
			'result.parts': 'Các phần của bản quét ({0})',
			'result.version': 'phiên bản {0}',
			'result.correction': 'phiên bản {0} · {1}: “{2}” → “{3}” · {4} · {5}',
			'pdf.loading': 'Đang tải PDF…', 'pdf.loaded': 'PDF đã ký, {0}.',
			'xml.loading': 'Đang tải XML…',
			'dl.pdf': 'Tải PDF đã ký', 'dl.xml': 'Tải XML kết quả', 'dl.original': 'Tải bản quét gốc',
			'verify.title': 'Kiểm tra chữ ký và toàn vẹn',
			'verify.pdf': 'PDF', 'verify.xml': 'XML', 'verify.fixity': 'Toàn vẹn tệp',
			'verify.valid': 'hợp lệ', 'verify.invalid': 'không hợp lệ',
			'verify.pending': 'đang kiểm tra…', 'verify.error': 'không kiểm tra được: {0}',
			'verify.details': 'Chi tiết các phép kiểm tra',
			'review.title': 'Kết quả chờ duyệt',
			'review.flagged': 'Cần duyệt',
			'review.reasons': 'Lý do cần duyệt',
			'review.correct': 'Sửa trường',
			'review.open_result': 'Xem kết quả',
			'review.loading': 'Đang tải hàng chờ…',
			'review.count': '{0} kết quả cần duyệt.',
			'review.empty': 'Không có kết quả nào cần duyệt.',
			'review.forbidden': 'Mã truy cập này không có quyền duyệt (cần quyền “review”). {0}',
			'review.hint': 'Sửa các trường sai rồi bấm Lưu. Để trống để xoá giá trị. Ngày theo dạng YYYY-MM-DD.',
			'review.locked': 'không sửa được',
			'review.save': 'Lưu', 'review.reset': 'Hoàn tác',
			'review.saving': 'Đang lưu…',
			'review.nochange': 'Chưa có trường nào thay đổi.',
			'review.saved': 'Đã lưu: phiên bản {0}. Đã sửa: {1}.',
			'review.failed': 'Không lưu được: {0}',
			'review.conflict': 'Kết quả vừa được người khác sửa; hãy tải lại trang rồi sửa lại. {0}',
			'review.still': 'Vẫn cần duyệt.', 'review.done': 'Không còn lý do cần duyệt.',
			'recent.title': 'Bản quét gần đây',
			'recent.loading': 'Đang tải…',
			'recent.no_daemon': 'Tiến trình sohoa không chạy: bản quét mới sẽ không được xử lý.',
			'recent.updated': 'Cập nhật lúc {0} · tự làm mới mỗi 3 giây.',
			'recent.empty': 'Chưa có bản quét nào.',
			'recent.forbidden': 'Mã truy cập này không xem được bản quét (cần quyền “review”). {0}',
			'recent.open': 'Mở',
			'state.received': 'Đã nhận', 'state.processing': 'Đang xử lý', 'state.archived': 'Đã lưu',
			'state.quarantined': 'Cách ly', 'state.waiting': 'Chờ thử lại',
			'err.network': 'Không kết nối được máy chủ.',
			'err.forbidden': 'Không đủ quyền: {0}',
			'err.generic': 'Lỗi: {0}'
		},
		en: {
			'app.title': 'sohoa — Digital archive',
			'app.subtitle': 'Digital archive',
			'nav.search': 'Search', 'nav.review': 'Review', 'nav.recent': 'Recent',
			'logout': 'Log out',
			'login.title': 'Log in',
			'login.token': 'Access token',
			'login.hint': 'Issued by the administrator (sohoa token add). Kept only in this browser tab.',
			'login.submit': 'Log in',
			'login.checking': 'Checking the token…',
			'login.refused': 'The token was refused: {0}',
			'login.expired': 'The session is no longer valid, please log in again: {0}',
			'scope.read': 'read', 'scope.review': 'review', 'scope.admin': 'admin',
			'search.title': 'Search results',
			'search.citizen_id': 'Citizen ID / tax code',
			'search.from': 'From', 'search.to': 'To',
			'search.q': 'Full text', 'search.limit': 'Limit',
			'search.submit': 'Search', 'search.clear': 'Clear filters',
			'search.searching': 'Searching…',
			'search.count': '{0} results found.',
			'search.none': 'Nothing matches.',
			'search.latest': 'The latest results ({0}).',
			'col.code': 'Result code / id', 'col.review': 'Review', 'col.kind': 'Kind',
			'col.received_at': 'Received at', 'col.field': 'Field', 'col.value': 'Value',
			'col.confidence': 'Confidence', 'col.file': 'File', 'col.folder': 'Folder',
			'col.state': 'State', 'col.time': 'Time', 'col.result': 'Result',
			'field.type': 'Document type', 'field.number': 'Number and symbol',
			'field.issuer': 'Issuing body', 'field.issuer_parent': 'Governing body',
			'field.place': 'Place', 'field.date': 'Date of issue', 'field.subject': 'Subject',
			'field.signer': 'Signer', 'field.signer_role': 'Position',
			'field.authority': 'Signing authority', 'field.dossier_code': 'Dossier code',
			'field.citizen_id': 'Citizen ID (CCCD)', 'field.tax_code': 'Tax code',
			'field.applicant': 'Applicant', 'field.address': 'Address', 'field.procedure': 'Procedure',
			'field.received': 'Received', 'field.due': 'Due',
			'meta.result_code': 'Result code', 'meta.id': 'Id (sha256)',
			'meta.kind': 'Kind', 'meta.source': 'Source file', 'meta.received_at': 'Received at',
			'meta.pages': 'Pages', 'meta.version': 'Version', 'meta.signed': 'Signed',
			'kind.document': 'Document', 'kind.receipt': 'Receipt', 'kind.form': 'Form',
			'kind.unknown': 'Unknown',
			'yes': 'yes', 'no': 'no',
			'back.search': '← Search', 'back.review': '← Review',
			'result.loading': 'Loading the result…',
			'result.fields': 'Fields', 'result.files': 'Files', 'result.pdf': 'Signed PDF',
			'result.xml': 'E-result (XML)', 'result.corrections': 'Corrections',
			'result.part': 'Part {0}, pages {1}–{2}',
			'result.part1': 'Part {0}, page {1}',
			'result.parts': 'Parts of the scan ({0})',
			'result.version': 'version {0}',
			'result.correction': 'version {0} · {1}: “{2}” → “{3}” · {4} · {5}',
			'pdf.loading': 'Loading the PDF…', 'pdf.loaded': 'Signed PDF, {0}.',
			'xml.loading': 'Loading the XML…',
			'dl.pdf': 'Download signed PDF', 'dl.xml': 'Download XML e-result',
			'dl.original': 'Download original scan',
			'verify.title': 'Signatures and fixity',
			'verify.pdf': 'PDF', 'verify.xml': 'XML', 'verify.fixity': 'Fixity',
			'verify.valid': 'valid', 'verify.invalid': 'invalid',
			'verify.pending': 'checking…', 'verify.error': 'could not be checked: {0}',
			'verify.details': 'Details of the checks',
			'review.title': 'Results waiting for review',
			'review.flagged': 'Needs review',
			'review.reasons': 'Reasons for review',
			'review.correct': 'Correct fields',
			'review.open_result': 'Open the result',
			'review.loading': 'Loading the queue…',
			'review.count': '{0} results need review.',
			'review.empty': 'Nothing is waiting for review.',
			'review.forbidden': 'This token may not review (the “review” scope is needed). {0}',
			'review.hint': 'Correct what is wrong, then Save. Leave a field empty to clear it. Dates as YYYY-MM-DD.',
			'review.locked': 'cannot be corrected',
			'review.save': 'Save', 'review.reset': 'Undo changes',
			'review.saving': 'Saving…',
			'review.nochange': 'No field has changed.',
			'review.saved': 'Saved: version {0}. Corrected: {1}.',
			'review.failed': 'Not saved: {0}',
			'review.conflict': 'Someone else corrected this result meanwhile; reload and try again. {0}',
			'review.still': 'Still needs review.', 'review.done': 'No reason for review is left.',
			'recent.title': 'Recent scans',
			'recent.loading': 'Loading…',
			'recent.no_daemon': 'The sohoa daemon is not running: new scans are not being processed.',
			'recent.updated': 'Updated at {0} · refreshes every 3 seconds.',
			'recent.empty': 'No scans yet.',
			'recent.forbidden': 'This token may not see the scans (the “review” scope is needed). {0}',
			'recent.open': 'Open',
			'state.received': 'Received', 'state.processing': 'Processing', 'state.archived': 'Archived',
			'state.quarantined': 'Quarantined', 'state.waiting': 'Waiting to retry',
			'err.network': 'Cannot reach the server.',
			'err.forbidden': 'Not allowed: {0}',
			'err.generic': 'Error: {0}'
		}
	};

	var lang = 'vi';
	var user = null;          /* {name, scope} once logged in */
	var navSeq = 0;           /* bumped on every navigation: late answers are dropped */
	var blobUrls = [];        /* object URLs of the current view, revoked on leaving it */
	var recentTimer = null;
	var current = { view: null, arg: null };

	function $(id) { return document.getElementById(id); }

	/* ---- text -------------------------------------------------------------- */

	function t(key, args) {
		var s = (I18N[lang] && I18N[lang][key]) || I18N.vi[key] || key;
		if (args) {
			s = s.replace(/\{(\d+)\}/g, function (m, i) {
				var v = args[+i];
				return v === undefined || v === null ? '' : String(v);
			});
		}
		return s;
	}

	/* Puts a translated text in el, and remembers the key so a language switch redoes it.
	 * args are shown as plain text (server data is safe there). */
	function tx(el, key, args) {
		el.setAttribute('data-i18n', key);
		if (args && args.length)
			el.setAttribute('data-i18n-args', JSON.stringify(args));
		else
			el.removeAttribute('data-i18n-args');
		el.textContent = t(key, args);
		return el;
	}

	function applyLang() {
		document.documentElement.lang = lang;
		document.title = t('app.title');
		var nodes = document.querySelectorAll('[data-i18n]');
		for (var i = 0; i < nodes.length; i++) {
			var n = nodes[i], args = null, raw = n.getAttribute('data-i18n-args');
			if (raw) {
				try { args = JSON.parse(raw); } catch (e) { args = null; }
			}
			n.textContent = t(n.getAttribute('data-i18n'), args);
		}
		var titled = document.querySelectorAll('[data-i18n-title]');
		for (var j = 0; j < titled.length; j++)
			titled[j].title = t(titled[j].getAttribute('data-i18n-title'));
		$('lang-vi').setAttribute('aria-pressed', lang === 'vi' ? 'true' : 'false');
		$('lang-en').setAttribute('aria-pressed', lang === 'en' ? 'true' : 'false');
	}

	function setLang(l) {
		lang = l === 'en' ? 'en' : 'vi';
		try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
		applyLang();
	}

	/* el('td', {class: 'x', 'data-id': id}, 'text', child, ...) — text children are text nodes. */
	function el(tag, attrs) {
		var e = document.createElement(tag);
		if (attrs) {
			Object.keys(attrs).forEach(function (k) {
				var v = attrs[k];
				if (v === undefined || v === null || v === false)
					return;
				if (k === 'text')
					e.textContent = String(v);
				else if (k === 'i18n')
					tx(e, v[0], v.slice(1));
				else
					e.setAttribute(k, v === true ? '' : String(v));
			});
		}
		for (var i = 2; i < arguments.length; i++) {
			var c = arguments[i];
			if (c === undefined || c === null)
				continue;
			e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		}
		return e;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
		return node;
	}

	function show(node, on) { node.hidden = !on; }

	function status(node, key, args, kind) {
		if (!key) {
			node.textContent = '';
			node.removeAttribute('data-i18n');
			node.removeAttribute('data-i18n-args');
			node.removeAttribute('data-status');
			return;
		}
		tx(node, key, args);
		node.setAttribute('data-status', kind || 'info');
	}

	function shortId(id) { return id ? String(id).slice(0, 12) : ''; }
	function codeOf(r) { return r.result_code || shortId(r.id); }
	function fieldsOf(r) { return (r && r.fields) || {}; }
	function kindKey(k) { return I18N.vi['kind.' + k] ? 'kind.' + k : 'kind.unknown'; }
	function when(s) { return s ? String(s).replace('T', ' ').replace(/(\+|-)\d\d:\d\d$|Z$/, '') : ''; }
	function pct(c) { return typeof c === 'number' ? Math.round(c * 100) + '%' : ''; }
	function basename(p) { return p ? String(p).split('/').pop() : ''; }
	function bytes(n) {
		if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MB';
		if (n >= 1024) return Math.round(n / 1024) + ' KB';
		return n + ' B';
	}
	function enc(s) { return encodeURIComponent(s); }

	/* The reasons about one field: "field: …" and "part N: field: …". */
	function reasonsFor(reasons, name) {
		return (reasons || []).filter(function (r) {
			return typeof r === 'string' &&
			    (r.indexOf(name + ':') === 0 || /^part \d+: /.test(r) &&
			    r.replace(/^part \d+: /, '').indexOf(name + ':') === 0);
		});
	}

	/* ---- the API ------------------------------------------------------------- */

	function ApiError(statusCode, message) {
		this.status = statusCode;
		this.message = message;
	}
	ApiError.prototype = Object.create(Error.prototype);
	ApiError.prototype.name = 'ApiError';

	/* fetch with the token; answers JSON, text or a Blob (opts.as). A 401 anywhere
	 * sends the user back to the login with the server's sentence. */
	function api(path, opts) {
		opts = opts || {};
		var headers = { 'Accept': opts.as === 'json' || !opts.as ? 'application/json' : '*/*' };
		var token = sessionStorage.getItem(TOKEN_KEY);
		if (token)
			headers['Authorization'] = 'Bearer ' + token;
		var init = { method: opts.method || 'GET', headers: headers, cache: 'no-store',
			credentials: 'same-origin' };
		if (opts.body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(opts.body);
		}
		/* A GET that could not reach the server is tried once more (the API restarting). */
		var attempt = function () {
			return fetch(path, init).catch(function () {
				if (init.method !== 'GET')
					throw new Error('network');
				return new Promise(function (ok) { setTimeout(ok, 500); }).then(function () {
					return fetch(path, init);
				});
			});
		};
		return attempt().then(function (res) {
			if (!res.ok) {
				return res.text().then(function (body) {
					var msg = '';
					try { msg = JSON.parse(body).error || ''; } catch (e) { msg = ''; }
					if (!msg)
						msg = res.status + ' ' + (res.statusText || '');
					var err = new ApiError(res.status, msg);
					if (res.status === 401 && !opts.login)
						unauthorized(msg);
					throw err;
				});
			}
			if (opts.as === 'blob')
				return res.blob();
			if (opts.as === 'text')
				return res.text();
			return res.json();
		}, function () {
			throw new ApiError(0, t('err.network'));
		});
	}

	function keep(url) { blobUrls.push(url); return url; }
	function revokeAll() {
		blobUrls.forEach(function (u) { URL.revokeObjectURL(u); });
		blobUrls = [];
	}

	function banner(msg) {
		var b = $('error-banner');
		b.textContent = msg || '';
		show(b, !!msg);
	}

	/* Shows an error of a view's request in its status line. */
	function failed(node, err, forbiddenKey) {
		if (err && err.status === 401)
			return;  /* already back at the login */
		if (err && err.status === 403)
			status(node, forbiddenKey || 'err.forbidden', [err.message], 'forbidden');
		else
			status(node, 'err.generic', [err && err.message ? err.message : String(err)], 'error');
	}

	/* ---- login ----------------------------------------------------------------- */

	function unauthorized(msg) {
		sessionStorage.removeItem(TOKEN_KEY);
		user = null;
		showLogin('login.expired', msg);
	}

	function showLogin(key, msg) {
		navSeq++;
		stopRecent();
		revokeAll();
		current = { view: 'login', arg: null };
		showOnly('login-view');
		show($('nav'), false);
		show($('user'), false);
		var e = $('login-error');
		if (key) {
			tx(e, key, [msg]);
			show(e, true);
		} else {
			show(e, false);
		}
		$('login-token').focus();
	}

	function whoami(fromLogin) {
		return api('/v1/whoami', { login: fromLogin }).then(function (w) {
			user = { name: w.name || '', scope: w.scope || '' };
			$('whoami-name').textContent = user.name;
			var sc = $('whoami-scope');
			sc.setAttribute('data-scope', user.scope);
			tx(sc, 'scope.' + user.scope);
			show($('user'), true);
			show($('nav'), true);
			show($('login-error'), false);
			banner('');
			route();
		});
	}

	function onLogin(ev) {
		ev.preventDefault();
		var token = $('login-token').value.trim();
		if (!token)
			return;
		sessionStorage.setItem(TOKEN_KEY, token);
		var e = $('login-error');
		tx(e, 'login.checking');
		show(e, true);
		whoami(true).then(function () {
			$('login-token').value = '';
		}, function (err) {
			sessionStorage.removeItem(TOKEN_KEY);
			tx(e, err.status === 401 || err.status === 403 ? 'login.refused' : 'err.generic',
			    [err.message]);
			show(e, true);
		});
	}

	function onLogout() {
		sessionStorage.removeItem(TOKEN_KEY);
		user = null;
		showLogin(null);
	}

	/* ---- routing ----------------------------------------------------------------- */

	var VIEWS = ['login-view', 'search-view', 'result-view', 'review-view', 'review-edit-view',
		'recent-view'];

	function showOnly(id) {
		VIEWS.forEach(function (v) { show($(v), v === id); });
	}

	function parseHash() {
		var h = location.hash.replace(/^#/, '');
		var q = '', i = h.indexOf('?');
		if (i >= 0) {
			q = h.slice(i + 1);
			h = h.slice(0, i);
		}
		var parts = h.split('/');
		var arg = parts.length > 1 ? parts.slice(1).join('/') : '';
		try { arg = decodeURIComponent(arg); } catch (e) { arg = ''; }
		return { view: parts[0] || 'search', arg: arg, query: q };
	}

	function route() {
		if (!user)
			return;
		navSeq++;
		stopRecent();
		revokeAll();
		banner('');
		var r = parseHash();
		current = r;
		['search', 'review', 'recent'].forEach(function (n) {
			var a = $('nav-' + n);
			var on = n === r.view || (n === 'search' && (r.view === 'result' || r.view === ''));
			a.classList.toggle('active', on);
			if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
		});
		if (r.view === 'result' && r.arg)
			showResult(r.arg);
		else if (r.view === 'review' && r.arg)
			showReviewEdit(r.arg);
		else if (r.view === 'review')
			showReviewList();
		else if (r.view === 'recent')
			showRecent();
		else
			showSearch(r.query);
		window.scrollTo(0, 0);
	}

	/* ---- search ------------------------------------------------------------------- */

	var FILTERS = ['number', 'issuer', 'type', 'dossier', 'citizen_id', 'from', 'to', 'q', 'limit'];

	function showSearch(query) {
		showOnly('search-view');
		var params = new URLSearchParams(query || '');
		FILTERS.forEach(function (f) {
			var input = $('f-' + f);
			input.value = params.get(f) || (f === 'limit' ? '50' : '');
		});
		runSearch(params, !query);
	}

	function runSearch(params, latest) {
		var seq = navSeq;
		var st = $('search-status'), body = $('search-results');
		if (!params.get('limit'))
			params.set('limit', '50');
		status(st, 'search.searching');
		st.setAttribute('data-state', 'busy');
		api('/v1/search?' + params.toString()).then(function (ans) {
			if (seq !== navSeq)
				return;
			var list = (ans && ans.results) || [];
			clear(body);
			list.forEach(function (r) { body.appendChild(searchRow(r)); });
			if (list.length === 0)
				status(st, 'search.none');
			else
				status(st, latest ? 'search.latest' : 'search.count', [list.length]);
			st.setAttribute('data-state', 'done');
			st.setAttribute('data-count', String(list.length));
		}, function (err) {
			if (seq !== navSeq)
				return;
			clear(body);
			failed(st, err);
			st.setAttribute('data-state', 'error');
		});
	}

	function openOnClick(row, hash) {
		row.tabIndex = 0;
		row.classList.add('clickable');
		row.addEventListener('click', function (ev) {
			if (ev.target.closest('a'))
				return;
			location.hash = hash;
		});
		row.addEventListener('keydown', function (ev) {
			if (ev.key === 'Enter')
				location.hash = hash;
		});
	}

	function searchRow(r) {
		var f = fieldsOf(r);
		var typeCell = f.type ? el('td', { text: f.type }) : el('td', { class: 'muted', i18n: [kindKey(r.kind)] });
		var row = el('tr', { 'data-testid': 'result-row', 'data-id': r.id },
		    el('td', { class: 'code', title: r.id, text: codeOf(r) }),
		    typeCell,
		    el('td', { 'data-testid': 'row-number', text: f.number || '' }),
		    el('td', { class: 'nowrap', text: f.date || '' }),
		    el('td', { text: f.issuer || '' }),
		    el('td', { class: 'subject', title: f.subject || '', text: f.subject || '' }),
		    r.review ? el('td', {}, el('span', { class: 'badge warn', i18n: ['review.flagged'] })) : el('td'));
		openOnClick(row, '#result/' + enc(r.id));
		return row;
	}

	function onSearch(ev) {
		ev.preventDefault();
		var params = new URLSearchParams();
		FILTERS.forEach(function (f) {
			var v = $('f-' + f).value.trim();
			if (v !== '')
				params.set(f, v);
		});
		var hash = '#search?' + params.toString();
		if (location.hash === hash) {
			navSeq++;
			runSearch(params, false);
		} else {
			location.hash = hash;
		}
	}

	function onClearSearch() {
		FILTERS.forEach(function (f) { $('f-' + f).value = f === 'limit' ? '50' : ''; });
		if (location.hash === '#search')
			route();
		else
			location.hash = '#search';
	}

	/* ---- one result ------------------------------------------------------------------- */

	/* ids: give the value cells ids "field-<name>" (the main table only). */
	function fieldTable(tbody, r, fieldNames, ids) {
		var f = fieldsOf(r), conf = r.confidence || {}, reasons = r.review_reasons || [];
		clear(tbody);
		fieldNames.forEach(function (name) {
			var v = f[name];
			var mine = reasonsFor(reasons, name);
			var c = conf[name];
			var valueCell = el('td', { id: ids ? 'field-' + name : null, 'data-testid': 'field-' + name, class: v === null || v === undefined ? 'value muted' : 'value' },
			    v === null || v === undefined ? '—' : String(v));
			mine.forEach(function (m) { valueCell.appendChild(el('div', { class: 'reason', text: m })); });
			var row = el('tr', { 'data-field': name, class: mine.length ? 'flagged' : null },
			    el('th', { scope: 'row', i18n: ['field.' + name] }),
			    valueCell,
			    el('td', { class: typeof c === 'number' && c < LOW_CONFIDENCE ? 'conf low' : 'conf',
				'data-testid': 'conf-' + name, text: pct(c) }));
			tbody.appendChild(row);
		});
	}

	function metaRow(key, value, testid) {
		return el('tr', {}, el('th', { scope: 'row', i18n: [key] }),
		    el('td', { 'data-testid': testid, text: value === null || value === undefined ? '—' : value }));
	}

	function showResult(key) {
		var seq = navSeq;
		showOnly('result-view');
		var st = $('result-status');
		status(st, 'result.loading');
		show($('result-body'), false);
		$('result-title').textContent = '';
		show($('result-review-flag'), false);
		$('result-version').textContent = '';
		api('/v1/results/' + enc(key)).then(function (r) {
			if (seq !== navSeq)
				return;
			status(st, null);
			renderResult(r);
			loadVerify(r.id, seq);
			loadPdf(r, seq);
			loadXml(r, seq);
		}, function (err) {
			if (seq === navSeq)
				failed(st, err);
		});
	}

	function renderResult(r) {
		var f = fieldsOf(r);
		var title = $('result-title');
		clear(title);
		title.appendChild(f.type ? document.createTextNode(f.type) : el('span', { i18n: [kindKey(r.kind)] }));
		if (f.number)
			title.appendChild(document.createTextNode(' ' + f.number));
		title.setAttribute('data-id', r.id);
		show($('result-review-flag'), !!r.review);
		tx($('result-version'), 'result.version', [r.version || 1]);
		$('result-version').setAttribute('data-version', String(r.version || 1));

		var meta = clear($('result-meta'));
		meta.appendChild(metaRow('meta.result_code', r.result_code, 'meta-result_code'));
		meta.appendChild(metaRow('meta.id', r.id, 'meta-id'));
		var kindRow = metaRow('meta.kind', '', 'meta-kind');
		tx(kindRow.lastChild, kindKey(r.kind));
		meta.appendChild(kindRow);
		meta.appendChild(metaRow('meta.source', r.source, 'meta-source'));
		meta.appendChild(metaRow('meta.received_at', when(r.received_at), 'meta-received_at'));
		meta.appendChild(metaRow('meta.pages', r.pages, 'meta-pages'));
		var signedRow = metaRow('meta.signed', '', 'meta-signed');
		tx(signedRow.lastChild, r.signed ? 'yes' : 'no');
		meta.appendChild(signedRow);

		fieldTable($('result-fields').tBodies[0], r, FIELDS, true);

		var reasons = r.review_reasons || [];
		var rl = clear($('result-reasons'));
		reasons.forEach(function (m) { rl.appendChild(el('li', { text: m })); });
		show($('result-reasons-box'), reasons.length > 0 || !!r.review);
		$('result-correct').setAttribute('href', '#review/' + enc(r.id));

		var parts = clear($('result-parts'));
		if (Array.isArray(r.parts) && r.parts.length > 1) {
			r.parts.forEach(function (p, i) {
				var first = p.first_page || p.page || 1, n = p.pages || 1;
				if (i === 0)
					parts.appendChild(el('h2', { i18n: ['result.parts', r.parts.length] }));
				var where = n > 1 ? ['result.part', i + 1, first, first + n - 1] : ['result.part1', i + 1, first];
				parts.appendChild(el('h3', {}, el('span', { i18n: where }),
				    ' · ', el('span', { i18n: [kindKey(p.kind)] })));
				var names = FIELDS.filter(function (k) { return fieldsOf(p)[k] !== null && fieldsOf(p)[k] !== undefined; });
				var tb = el('tbody');
				fieldTable(tb, { fields: p.fields, confidence: p.confidence, review_reasons: [] }, names, false);
				parts.appendChild(el('table', { class: 'kv fields part', 'data-testid': 'part-' + (i + 1) }, tb));
			});
		}

		var corr = r.corrections || [];
		var cl = clear($('result-corrections'));
		corr.forEach(function (c) {
			cl.appendChild(el('li', { i18n: ['result.correction', c.version, c.field,
				c.from === null ? '—' : c.from, c.to === null ? '—' : c.to, c.by, when(c.at)] }));
		});
		show($('result-corrections-box'), corr.length > 0);

		var base = (r.result_code || shortId(r.id)).replace(/[^A-Za-z0-9.-]/g, '_');
		var dp = $('dl-pdf'), dx = $('dl-xml'), dorig = $('dl-original');
		[dp, dx].forEach(function (a) {
			a.removeAttribute('href');
			a.setAttribute('aria-disabled', 'true');
		});
		dp.setAttribute('download', base + '.pdf');
		dx.setAttribute('download', base + '.xml');
		var ext = (basename(r.source).match(/\.[A-Za-z0-9]{1,5}$/) || [''])[0];
		dorig.setAttribute('data-id', r.id);
		dorig.setAttribute('data-name', base + '-original' + ext.toLowerCase());

		show($('result-body'), true);
	}

	function loadPdf(r, seq) {
		var ps = $('pdf-status'), frame = $('pdf-frame');
		status(ps, 'pdf.loading');
		show(frame, false);
		frame.removeAttribute('src');
		frame.removeAttribute('data-size');
		api('/v1/results/' + enc(r.id) + '/pdf', { as: 'blob' }).then(function (b) {
			if (seq !== navSeq)
				return;
			var url = keep(URL.createObjectURL(new Blob([b], { type: 'application/pdf' })));
			frame.src = url;
			frame.setAttribute('data-size', String(b.size));
			show(frame, true);
			status(ps, 'pdf.loaded', [bytes(b.size)], 'ok');
			var a = $('dl-pdf');
			a.href = url;
			a.removeAttribute('aria-disabled');
		}, function (err) {
			if (seq === navSeq)
				failed(ps, err);
		});
	}

	function loadXml(r, seq) {
		var pre = $('xml-text');
		pre.textContent = t('xml.loading');
		pre.removeAttribute('data-loaded');
		api('/v1/results/' + enc(r.id) + '/xml', { as: 'text' }).then(function (text) {
			if (seq !== navSeq)
				return;
			pre.textContent = text;
			pre.setAttribute('data-loaded', 'true');
			var url = keep(URL.createObjectURL(new Blob([text], { type: 'application/xml' })));
			var a = $('dl-xml');
			a.href = url;
			a.removeAttribute('aria-disabled');
		}, function (err) {
			if (seq !== navSeq || err.status === 401)
				return;
			pre.textContent = t('err.generic', [err.message]);
		});
	}

	function onDownloadOriginal(ev) {
		ev.preventDefault();
		var a = ev.currentTarget, id = a.getAttribute('data-id');
		if (!id)
			return;
		var seq = navSeq;
		a.setAttribute('aria-busy', 'true');
		api('/v1/results/' + enc(id) + '/original', { as: 'blob' }).then(function (b) {
			a.removeAttribute('aria-busy');
			if (seq !== navSeq)
				return;
			var url = keep(URL.createObjectURL(b));
			var tmp = el('a', { href: url, download: a.getAttribute('data-name') || 'original' });
			document.body.appendChild(tmp);
			tmp.click();
			document.body.removeChild(tmp);
		}, function (err) {
			a.removeAttribute('aria-busy');
			if (err.status !== 401)
				banner(t('err.generic', [err.message]));
		});
	}

	/* One section of the verification: {ok, checks: [{check, ok, detail}]}. */
	function verifyLine(node, labelKey, part) {
		clear(node);
		var ok = !!(part && part.ok);
		var word = ok ? 'valid' : 'invalid';
		node.setAttribute('data-status', word);
		node.appendChild(el('span', { class: 'label', i18n: [labelKey] }));
		node.appendChild(document.createTextNode(': '));
		node.appendChild(el('span', { class: 'word', 'data-testid': node.id + '-word', i18n: ['verify.' + word] }));
		var checks = (part && Array.isArray(part.checks)) ? part.checks : [];
		var bad = checks.filter(function (c) { return !c.ok; });
		if (bad.length) {
			var ul = el('ul', { class: 'failed' });
			bad.forEach(function (c) { ul.appendChild(el('li', { text: (c.check || '') + ': ' + (c.detail || '') })); });
			node.appendChild(ul);
		}
	}

	/* The API's sections, or, from a flat {checks} (as `sohoa verify --json`), by prefix. */
	function section(v, name) {
		if (v && v[name] && typeof v[name] === 'object')
			return v[name];
		var checks = ((v && v.checks) || []).filter(function (c) {
			return String(c.check || '').indexOf(name + '-') === 0;
		});
		if (!checks.length)
			return null;
		return { ok: checks.every(function (c) { return c.ok; }), checks: checks };
	}

	function loadVerify(id, seq) {
		var lines = { pdf: $('verify-pdf'), xml: $('verify-xml'), fixity: $('verify-fixity') };
		Object.keys(lines).forEach(function (k) {
			var n = clear(lines[k]);
			n.setAttribute('data-status', 'pending');
			n.appendChild(el('span', { class: 'label', i18n: ['verify.' + k] }));
			n.appendChild(document.createTextNode(': '));
			n.appendChild(el('span', { class: 'word', i18n: ['verify.pending'] }));
		});
		var old = $('verify-details');
		if (old)
			old.parentNode.removeChild(old);
		api('/v1/results/' + enc(id) + '/verify').then(function (v) {
			if (seq !== navSeq)
				return;
			verifyLine(lines.pdf, 'verify.pdf', section(v, 'pdf'));
			verifyLine(lines.xml, 'verify.xml', section(v, 'xml'));
			verifyLine(lines.fixity, 'verify.fixity', section(v, 'fixity'));
			var all = [];
			['pdf', 'xml', 'fixity'].forEach(function (k) {
				var s = section(v, k);
				(s && s.checks || []).forEach(function (c) { all.push(c); });
			});
			if (all.length) {
				var ul = el('ul', { class: 'checks' });
				all.forEach(function (c) {
					ul.appendChild(el('li', { class: c.ok ? 'ok' : 'bad', 'data-check': c.check },
					    el('span', { class: 'mark', text: c.ok ? '✓ ' : '✗ ' }),
					    el('code', { text: c.check || '' }), ' ' + (c.detail || '')));
				});
				$('verify').appendChild(el('details', { id: 'verify-details', 'data-testid': 'verify-details' },
				    el('summary', { i18n: ['verify.details'] }), ul));
			}
		}, function (err) {
			if (seq !== navSeq || err.status === 401)
				return;
			Object.keys(lines).forEach(function (k) {
				var n = clear(lines[k]);
				n.setAttribute('data-status', 'error');
				n.appendChild(el('span', { class: 'label', i18n: ['verify.' + k] }));
				n.appendChild(document.createTextNode(': '));
				n.appendChild(el('span', { class: 'word', i18n: ['verify.error', err.message] }));
			});
		});
	}

	/* ---- review queue ------------------------------------------------------------------ */

	function showReviewList() {
		var seq = navSeq;
		showOnly('review-view');
		var st = $('review-status'), body = $('review-list');
		status(st, 'review.loading');
		st.setAttribute('data-state', 'busy');
		api('/v1/review?limit=200').then(function (ans) {
			if (seq !== navSeq)
				return;
			var list = (ans && ans.results) || [];
			clear(body);
			list.forEach(function (r) {
				var ul = el('ul', { class: 'reasons' });
				(r.review_reasons || []).forEach(function (m) { ul.appendChild(el('li', { text: m })); });
				var row = el('tr', { 'data-testid': 'review-row', 'data-id': r.id },
				    el('td', { class: 'code', title: r.id, text: codeOf(r) }),
				    el('td', { i18n: [kindKey(r.kind)] }),
				    el('td', { class: 'nowrap', text: when(r.received_at) }),
				    el('td', {}, ul));
				openOnClick(row, '#review/' + enc(r.id));
				body.appendChild(row);
			});
			status(st, list.length ? 'review.count' : 'review.empty', [list.length]);
			st.setAttribute('data-state', 'done');
			st.setAttribute('data-count', String(list.length));
		}, function (err) {
			if (seq !== navSeq)
				return;
			clear(body);
			failed(st, err, 'review.forbidden');
			st.setAttribute('data-state', 'error');
		});
	}

	var editing = null;  /* the result being corrected */

	function showReviewEdit(key) {
		var seq = navSeq;
		showOnly('review-edit-view');
		var st = $('review-edit-status');
		status(st, 'result.loading');
		show($('review-edit-body'), false);
		show($('review-message'), false);
		$('review-edit-title').textContent = '';
		$('review-edit-version').textContent = '';
		api('/v1/results/' + enc(key)).then(function (r) {
			if (seq !== navSeq)
				return;
			status(st, null);
			renderReviewEdit(r);
		}, function (err) {
			if (seq === navSeq)
				failed(st, err);
		});
	}

	function renderReviewEdit(r) {
		editing = r;
		var f = fieldsOf(r), conf = r.confidence || {}, reasons = r.review_reasons || [];
		var title = $('review-edit-title');
		clear(title);
		title.appendChild(el('span', { i18n: [kindKey(r.kind)] }));
		title.appendChild(document.createTextNode(' ' + codeOf(r)));
		title.setAttribute('data-id', r.id);
		var ver = $('review-edit-version');
		tx(ver, 'result.version', [r.version || 1]);
		ver.setAttribute('data-version', String(r.version || 1));
		$('review-open-result').setAttribute('href', '#result/' + enc(r.id));

		var rl = clear($('review-edit-reasons'));
		reasons.forEach(function (m) { rl.appendChild(el('li', { text: m })); });
		if (!reasons.length)
			rl.appendChild(el('li', { class: 'muted', i18n: ['review.done'] }));

		var body = clear($('review-fields'));
		FIELDS.forEach(function (name) {
			var v = f[name];
			var orig = v === null || v === undefined ? '' : String(v);
			var input = el('input', { id: 'rv-' + name, name: name, 'data-testid': 'rv-' + name,
				'data-original': orig, spellcheck: 'false',
				placeholder: name === 'date' || name === 'received' || name === 'due' ? 'YYYY-MM-DD' : null });
			input.value = orig;
			if (LOCKED[name]) {
				input.readOnly = true;
				input.setAttribute('aria-readonly', 'true');
			}
			input.addEventListener('input', function () {
				input.classList.toggle('changed', input.value.trim() !== orig);
			});
			var label = el('label', { for: 'rv-' + name, i18n: ['field.' + name] });
			var cell = el('td', {}, input);
			if (LOCKED[name])
				cell.appendChild(el('div', { class: 'hint', i18n: ['review.locked'] }));
			var mine = reasonsFor(reasons, name);
			mine.forEach(function (m) { cell.appendChild(el('div', { class: 'reason', text: m })); });
			var c = conf[name];
			body.appendChild(el('tr', { 'data-field': name, class: mine.length ? 'flagged' : null },
			    el('th', { scope: 'row' }, label), cell,
			    el('td', { class: typeof c === 'number' && c < LOW_CONFIDENCE ? 'conf low' : 'conf', text: pct(c) })));
		});
		show($('review-edit-body'), true);
	}

	function changedFields() {
		var out = {}, n = 0;
		FIELDS.forEach(function (name) {
			if (LOCKED[name])
				return;
			var input = $('rv-' + name);
			if (!input)
				return;
			var v = input.value.trim(), orig = input.getAttribute('data-original');
			if (v !== orig) {
				out[name] = v === '' ? null : v;
				n++;
			}
		});
		return n ? out : null;
	}

	function reviewMessage(key, args, kind) {
		var m = $('review-message');
		tx(m, key, args);
		m.setAttribute('data-status', kind);
		m.className = 'message ' + kind;
		show(m, true);
	}

	function onReviewSave(ev) {
		ev.preventDefault();
		if (!editing)
			return;
		var changes = changedFields();
		if (!changes) {
			reviewMessage('review.nochange', null, 'info');
			return;
		}
		var seq = navSeq, id = editing.id, save = $('review-save');
		save.disabled = true;
		reviewMessage('review.saving', null, 'info');
		api('/v1/results/' + enc(id) + '/review', { method: 'POST', body: { fields: changes } })
		    .then(function (ans) {
			save.disabled = false;
			if (seq !== navSeq)
				return;
			var obj = ans && ans.result && ans.result.fields ? ans.result : ans;
			var version = (ans && ans.version) || (obj && obj.version) || '?';
			var names = Object.keys(changes).map(function (k) { return t('field.' + k); });
			var after = function (r) {
				renderReviewEdit(r);
				reviewMessage('review.saved', [version, names.join(', ')], 'ok');
				var m = $('review-message');
				m.setAttribute('data-version', String(version));
				m.appendChild(document.createTextNode(' '));
				m.appendChild(el('span', { i18n: [r.review ? 'review.still' : 'review.done'] }));
			};
			if (obj && obj.fields && obj.id)
				after(obj);
			else
				api('/v1/results/' + enc(id)).then(function (r) { if (seq === navSeq) after(r); });
		}, function (err) {
			save.disabled = false;
			if (seq !== navSeq || err.status === 401)
				return;
			if (err.status === 403)
				reviewMessage('review.forbidden', [err.message], 'error');
			else if (err.status === 409)
				reviewMessage('review.conflict', [err.message], 'error');
			else
				reviewMessage('review.failed', [err.message], 'error');
		});
	}

	function onReviewReset() {
		if (editing)
			renderReviewEdit(editing);
		show($('review-message'), false);
	}

	/* ---- recent scans -------------------------------------------------------------------- */

	/* The daemon's words for a scan's state, onto the page's five. */
	var STATES = {
		received: 'received', queued: 'received', taken: 'received', spooled: 'received',
		processing: 'processing', running: 'processing', working: 'processing',
		archived: 'archived', done: 'archived', filed: 'archived', duplicate: 'archived', reused: 'archived',
		quarantined: 'quarantined', failed: 'quarantined',
		waiting: 'waiting', retry: 'waiting', retrying: 'waiting'
	};

	function stopRecent() {
		if (recentTimer !== null) {
			clearTimeout(recentTimer);
			recentTimer = null;
		}
	}

	function showRecent() {
		showOnly('recent-view');
		recentShown = null;
		status($('recent-status'), 'recent.loading');
		pollRecent(navSeq);
	}

	function pollRecent(seq) {
		stopRecent();
		if (seq !== navSeq || current.view !== 'recent')
			return;
		if (document.visibilityState === 'hidden')
			return;  /* visibilitychange starts it again */
		api('/v1/recent').then(function (ans) {
			if (seq !== navSeq)
				return;
			renderRecent(ans || {});
			recentTimer = setTimeout(function () { pollRecent(seq); }, RECENT_MS);
		}, function (err) {
			if (seq !== navSeq)
				return;
			failed($('recent-status'), err, 'recent.forbidden');
			if (err.status !== 403 && err.status !== 401)
				recentTimer = setTimeout(function () { pollRecent(seq); }, RECENT_MS);
		});
	}

	var recentShown = null;  /* the scans on the page, to leave an unchanged table alone */

	function renderRecent(ans) {
		var daemon = ans.daemon !== false;
		var dm = $('recent-daemon');
		show(dm, !daemon);
		dm.setAttribute('data-daemon', daemon ? 'true' : 'false');
		var why = $('recent-daemon-reason');
		why.textContent = !daemon && ans.reason ? ' (' + ans.reason + ')' : '';
		var scans = Array.isArray(ans.scans) ? ans.scans : [];
		var sig = JSON.stringify(scans);
		var body = $('recent-list');
		if (sig !== recentShown || !body.firstChild) {
			recentShown = sig;
			clear(body);
			scans.forEach(recentRow);
		}
		var now = new Date();
		var hh = ('0' + now.getHours()).slice(-2) + ':' + ('0' + now.getMinutes()).slice(-2) + ':' +
		    ('0' + now.getSeconds()).slice(-2);
		if (scans.length)
			status($('recent-status'), 'recent.updated', [hh], 'ok');
		else if (daemon)
			status($('recent-status'), 'recent.empty', null, 'ok');
		else
			status($('recent-status'), null);
		show($('recent-table').parentNode, daemon || scans.length > 0);
		$('recent-status').setAttribute('data-count', String(scans.length));
	}

	function recentRow(s) {
		var state = STATES[String(s.state || '').toLowerCase()] || 'received';
		var stateCell = el('td', { class: 'state' },
		    el('span', { class: 'badge state-' + state, 'data-state': state, i18n: ['state.' + state] }));
		var reason = s.reason || s.error || s.detail;
		if ((state === 'quarantined' || state === 'waiting') && reason)
			stateCell.appendChild(el('div', { class: 'reason', 'data-testid': 'scan-reason', text: reason }));
		var rid = s.result_id || (s.result && s.result.id) || null;
		var rcode = s.result_code || (s.result && s.result.result_code) || null;
		var resCell = el('td');
		if (state === 'archived' && rid) {
			resCell.appendChild(el('a', { href: '#result/' + enc(rid), 'data-testid': 'scan-result', title: rid,
				text: rcode || shortId(rid) }));
			if (s.review === true) {
				resCell.appendChild(document.createTextNode(' '));
				resCell.appendChild(el('a', { href: '#review/' + enc(rid), class: 'badge warn',
					'data-testid': 'scan-review', i18n: ['review.flagged'] }));
			}
		}
		var src = s.file || s.name || s.source || s.path || '';
		var row = el('tr', { 'data-testid': 'scan-row', 'data-state': state, 'data-job': s.job || s.id || null },
		    el('td', { class: 'file', title: src, text: basename(src) }),
		    el('td', { text: s.watch || s.folder || '' }),
		    stateCell,
		    el('td', { class: 'nowrap', text: when(s.at || s.time || s.updated_at || s.received_at) }),
		    resCell);
		$('recent-list').appendChild(row);
	}

	/* ---- start ------------------------------------------------------------------------- */

	function start() {
		var saved = null;
		try { saved = localStorage.getItem(LANG_KEY); } catch (e) { saved = null; }
		lang = saved === 'en' ? 'en' : 'vi';
		applyLang();
		$('lang-vi').addEventListener('click', function () { setLang('vi'); });
		$('lang-en').addEventListener('click', function () { setLang('en'); });
		$('login-form').addEventListener('submit', onLogin);
		$('logout').addEventListener('click', onLogout);
		$('search-form').addEventListener('submit', onSearch);
		$('search-clear').addEventListener('click', onClearSearch);
		$('review-form').addEventListener('submit', onReviewSave);
		$('review-reset').addEventListener('click', onReviewReset);
		$('dl-original').addEventListener('click', onDownloadOriginal);
		window.addEventListener('hashchange', route);
		document.addEventListener('visibilitychange', function () {
			if (document.visibilityState === 'visible' && user && current.view === 'recent' &&
			    recentTimer === null)
				pollRecent(navSeq);
		});
		if (sessionStorage.getItem(TOKEN_KEY)) {
			whoami(false).catch(function (err) {
				if (err.status !== 401)
					showLogin('err.generic', err.message);
			});
		} else {
			showLogin(null);
		}
	}

	if (document.readyState === 'loading')
		document.addEventListener('DOMContentLoaded', start);
	else
		start();
})();
