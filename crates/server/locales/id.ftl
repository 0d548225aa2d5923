# paydesk UI text, Bahasa Indonesia. Every key in en.ftl must exist here too
# (a unit test checks). Keep messages short; pages are read on phones.

brand = paydesk
skip-to-content = Langsung ke konten

## Navigation
nav-home = Beranda
nav-customers = Pelanggan
nav-team = Staf
nav-merchant = Merchant
nav-api = API
nav-signout = Keluar
nav-signin = Masuk
nav-staff-signin = Masuk Staf
locale-label = Bahasa
locale-apply = Ubah

## Landing page
landing-title = Bantuan untuk dompet Anda, kapan saja
landing-intro = Masuk untuk melihat akun Anda, atau masuk sebagai staf untuk membantu pelanggan.
landing-customer-cta = Masuk Pelanggan
landing-customer-body = Lihat profil dan pengaturan akun Anda.
landing-staff-cta = Masuk Staf
landing-staff-body = Agen, supervisor, admin, dan staf merchant.
landing-api-cta = Referensi API
landing-api-body = Untuk aplikasi dompet dan integrasi.

## Sign-in
signin-title = Masuk ke dompet Anda
signin-intro = Gunakan email atau nomor HP yang Anda daftarkan.
signin-login-label = Email atau nomor HP
signin-password-label = Kata sandi
signin-submit = Masuk
signin-error-invalid = Email, nomor HP, atau kata sandi salah.
signin-error-disabled = Akun ini tidak dapat masuk. Silakan hubungi layanan pelanggan.
signin-error-unexpected = Saat ini Anda belum bisa masuk. Silakan coba lagi.
signin-error-csrf = Formulir sudah kedaluwarsa. Silakan coba lagi.
signin-staff-link = Anda staf? Masuk di sini
staff-signin-title = Masuk Staf
staff-signin-intro = Untuk agen, supervisor, admin, dan staf merchant.
staff-signin-login-label = Email kantor
staff-signin-customer-link = Anda pelanggan? Masuk di sini

## Customer home
home-greeting = Halo, { $name }
home-profile-title = Profil Anda
home-profile-body = Data ini yang dilihat tim layanan pelanggan saat Anda menghubungi kami. Pastikan selalu terbaru.
home-language-title = Bahasa
home-language-body = Halaman dan pesan dari layanan pelanggan akan menggunakan bahasa ini.
profile-name = Nama
profile-email = Email
profile-phone = Nomor HP
profile-region = Wilayah
profile-timezone = Zona waktu
profile-language = Bahasa
profile-member-since = Bergabung sejak
profile-status = Status
profile-none = Belum diatur
status-active = Aktif
status-suspended = Ditangguhkan
status-closed = Ditutup

## Roles
role-customer = Pelanggan
role-agent = Agen
role-supervisor = Supervisor
role-admin = Admin
role-merchant = Staf merchant

## Staff home
staff-home-title = Konsol Layanan Pelanggan
staff-greeting = Masuk sebagai { $name }
staff-role = Peran
staff-group = Grup
staff-section-customers = Pelanggan
staff-section-customers-body = Cari pelanggan berdasarkan nama, email, atau nomor HP, lalu buka profilnya.
staff-section-team = Staf
staff-section-team-body = Semua orang yang bekerja di paydesk, beserta peran dan grupnya.
staff-section-merchant = Merchant Anda
staff-section-merchant-body = Detail merchant Anda dan rekan kerja yang dapat bertindak atas nama merchant.
staff-section-groups = Grup layanan
staff-section-groups-body = Setiap grup menangani antreannya sendiri; setiap agen tergabung dalam satu grup.
staff-open = Buka

## Customer directory
customers-title = Pelanggan
customers-search-label = Nama, email, atau nomor HP
customers-region-label = Wilayah
customers-region-all = Semua wilayah
customers-search-submit = Cari
customers-empty = Tidak ada pelanggan yang cocok.
customers-next = Halaman berikutnya
customers-first = Halaman pertama
customer-title = Profil pelanggan
customer-back = Kembali ke daftar pelanggan
col-name = Nama
col-email = Email
col-phone = Nomor HP
col-region = Wilayah
col-status = Status
col-role = Peran
col-group = Grup
col-merchant = Merchant

## Staff list and merchant
team-title = Staf
merchant-title = Merchant Anda
merchant-category = Kategori
merchant-region = Wilayah
merchant-colleagues = Rekan kerja

## API reference page
api-title = Referensi API
api-intro = API JSON untuk aplikasi dompet dan integrasi. Lakukan autentikasi dengan bearer token dari POST /api/v1/auth/tokens. Error dikembalikan dalam format problem details RFC 9457.
api-download = Dokumen OpenAPI (JSON)
api-access = Siapa yang boleh memanggil
api-parameters = Parameter
api-request-body = Body permintaan
api-responses = Respons

## Errors
error-title = Terjadi kesalahan
error-not-found = Halaman tidak ditemukan.
error-forbidden = Akun Anda tidak memiliki akses ke halaman ini.
error-method = Halaman ini tidak dapat digunakan dengan cara tersebut.
error-too-large = Data yang Anda kirim terlalu besar.
error-timeout = Waktu habis. Silakan coba lagi.
error-bad-request = Data yang dikirim tidak dapat kami baca.
error-internal = Terjadi kesalahan pada sistem kami. Silakan coba lagi nanti.
error-request-id = Nomor referensi untuk layanan pelanggan: { $id }
error-back-home = Ke halaman awal

## Wallet: kinds, statuses, failures and next steps
kind-top-up = Isi saldo
kind-payment = Pembayaran
kind-transfer-out = Transfer keluar
kind-transfer-in = Transfer masuk
kind-refund = Pengembalian dana
kind-withdrawal = Penarikan
status-pending = Diproses
status-succeeded = Berhasil
status-failed = Gagal
status-reversed = Dibatalkan
failure-insufficient-balance = Saldo Anda tidak cukup untuk transaksi ini.
failure-payment-method-declined = Bank atau kartu Anda menolak pembayaran ini.
failure-bank-unavailable = Bank tidak merespons tepat waktu, jadi tidak ada dana yang terpotong.
failure-network-timeout = Koneksi terputus sebelum transaksi selesai, jadi tidak ada dana yang terpotong.
failure-blocked-by-risk = Pemeriksaan keamanan kami menghentikan transaksi ini untuk melindungi akun Anda.
failure-limit-exceeded = Transaksi ini melebihi batas dompet Anda.
failure-merchant-unavailable = Merchant tidak dapat menerima pembayaran, jadi tidak ada dana yang terpotong.
failure-expired = Pembayaran tidak dikonfirmasi tepat waktu, jadi dana yang sempat ditahan sudah dikembalikan.
next-step-top-up = Isi saldo dompet Anda, lalu coba lagi.
next-step-retry-later = Silakan coba lagi dalam beberapa menit.
next-step-use-another-method = Coba kartu atau rekening bank lain, atau hubungi bank Anda.
next-step-contact-support = Hubungi layanan pelanggan dan sebutkan kode referensi { $reference }.
unusual-amount-outlier = Ditandai tidak biasa: nominalnya jauh di atas pengeluaran Anda biasanya.
unusual-first-payment-high = Ditandai tidak biasa: pembayaran pertama ke merchant ini dengan nominal besar.
unusual-rapid-repeat = Ditandai tidak biasa: nominal yang sama dikirim beberapa kali dalam hitungan menit.

## Refunds
refund-rule-auto-approve = Disetujui otomatis: nominalnya di bawah batas pengembalian dana otomatis dari merchant.
refund-rule-merchant-approval = Diteruskan ke merchant: pengembalian dana sebesar ini perlu persetujuan merchant.
refund-rule-outside-window = Tidak dapat diproses: merchant hanya menerima permintaan pengembalian dana hingga { $days } hari setelah pembayaran.
refund-rule-reason-not-accepted = Tidak dapat diproses: merchant tidak menerima pengembalian dana dengan alasan ini.
refund-rule-partial-not-allowed = Tidak dapat diproses: merchant ini hanya mengembalikan seluruh sisa nominal.
refund-rule-too-many = Tidak dapat diproses: pembayaran ini sudah mencapai batas jumlah pengembalian dana dari merchant.
refund-rule-exceeds-refundable = Tidak dapat diproses: nominal tersebut melebihi sisa dana yang dapat dikembalikan untuk pembayaran ini.
refund-rule-payment-not-refundable = Tidak dapat diproses: hanya pembayaran yang sudah selesai yang dapat dikembalikan dananya.
refund-rule-amount-not-positive = Masukkan nominal lebih dari nol.
refund-rule-rejected-by-merchant = Merchant menolak permintaan ini.
refund-rule-policy-overridden = Disetujui oleh supervisor sebagai pengecualian dari kebijakan merchant.
refund-status-requested = Menunggu merchant
refund-status-approved = Disetujui
refund-status-rejected = Ditolak
refund-status-succeeded = Dana dikembalikan
refund-status-failed = Pengembalian dana gagal
reason-not-received = Pesanan tidak diterima
reason-not-as-described = Tidak sesuai deskripsi
reason-charged-twice = Tertagih dua kali
reason-damaged = Rusak atau cacat
reason-cancelled = Pesanan dibatalkan
reason-changed-mind = Berubah pikiran

## Wallet pages
nav-wallet = Transaksi
wallet-title = Transaksi Anda
wallet-balance = Saldo
wallet-available = Tersedia
wallet-filter-from = Dari
wallet-filter-to = Sampai
wallet-filter-min = Nominal min.
wallet-filter-max = Nominal maks.
wallet-filter-kind = Jenis
wallet-filter-status = Status
wallet-filter-text = Cari
wallet-filter-any = Semua
wallet-filter-apply = Terapkan
wallet-filter-reset = Hapus filter
wallet-export = Unduh CSV
wallet-empty = Tidak ada transaksi yang sesuai dengan filter ini.
wallet-older = Transaksi sebelumnya
wallet-newest = Terbaru
col-date = Tanggal
col-description = Keterangan
col-amount = Nominal
col-type = Jenis
col-reference = Kode referensi
tx-title = Detail transaksi
tx-back = Kembali ke daftar transaksi
tx-why-failed = Penyebab gagal
tx-what-next = Langkah selanjutnya
tx-unusual = Aktivitas tidak biasa
tx-notes = Catatan pribadi Anda
tx-notes-help = Hanya Anda yang dapat melihat catatan ini.
tx-note-add = Tambah catatan
tx-note-save = Simpan
tx-note-delete = Hapus
tx-flag-title = Laporkan transaksi ini
tx-flag-help = Beri tahu kami jika Anda tidak mengenali transaksi ini atau ada masalah dengan transaksi ini. Tim layanan pelanggan akan memeriksanya.
tx-flag-reason = Apa masalahnya?
tx-flag-not-recognised = Saya tidak mengenali transaksi ini
tx-flag-improper = Ada masalah dengan transaksi ini
tx-flag-comment = Detail
tx-flag-submit = Laporkan
tx-flagged = Anda telah melaporkan transaksi ini. Status: { $status }
flag-status-open = Terbuka
flag-status-in-review = Sedang ditinjau
flag-status-resolved = Selesai
tx-refund-title = Ajukan pengembalian dana
tx-refund-amount = Nominal
tx-refund-reason = Alasan
tx-refund-submit = Ajukan pengembalian dana
tx-refunds = Pengembalian dana
tx-merchant = Merchant
tx-counterparty = Pelanggan lain
tx-error-note = Catatan harus terdiri dari 1 sampai 2.000 karakter.
tx-error-amount = Masukkan nominal, misalnya 15000.
tx-done = Tersimpan.

## Wallet pages: history, detail, staff and merchant views
wallet-held = Ditahan
wallet-unusual = Tidak biasa
wallet-error-date = Masukkan tanggal seperti 2026-11-25.
wallet-error-amount = Masukkan nominal dalam rupiah tanpa desimal, misalnya 15000.
wallet-error-range = Nominal maksimum lebih kecil dari nominal minimum.
wallet-error-cursor = Tautan halaman ini sudah tidak berlaku. Mulai lagi dari transaksi terbaru.
wallet-error-filter = Filter ini tidak dapat digunakan. Hapus filter, lalu coba lagi.
failure-short-insufficient-balance = Saldo tidak cukup
failure-short-payment-method-declined = Ditolak bank atau kartu
failure-short-bank-unavailable = Bank tidak tersedia
failure-short-network-timeout = Koneksi terputus
failure-short-blocked-by-risk = Dihentikan pemeriksaan keamanan
failure-short-limit-exceeded = Melebihi batas
failure-short-merchant-unavailable = Merchant tidak tersedia
failure-short-expired = Tidak dikonfirmasi tepat waktu
home-wallet-title = Dompet Anda
home-wallet-link = Lihat transaksi Anda
tx-note-edit = Ubah
tx-note-added = Catatan ditambahkan.
tx-note-deleted = Catatan dihapus.
tx-flag-done = Terima kasih. Laporan Anda sudah kami terima dan akan diperiksa oleh tim layanan pelanggan.
tx-error-flag-reason = Pilih masalah pada transaksi ini.
tx-error-comment = Detail maksimal 2.000 karakter.
tx-error-already-flagged = Anda sudah melaporkan transaksi ini.
tx-refund-help = Kebijakan pengembalian dana merchant langsung memberi jawaban, dan jawabannya tampil di sini.
tx-refund-answer = Permintaan pengembalian dana Anda: { $status }
tx-error-refund-reason = Pilih alasan pengembalian dana.
tx-decision-note = Catatan merchant
tx-flags = Laporan dari pelanggan
tx-flags-none = Pelanggan belum melaporkan transaksi ini.
flag-reason-not-recognised = Tidak dikenali
flag-reason-improper = Ada masalah
tx-customer = Pelanggan
tx-back-customer = Kembali ke profil pelanggan
customer-history = Transaksi terbaru
customer-history-empty = Belum ada transaksi.
staff-section-refunds = Permintaan pengembalian dana
staff-section-refunds-body = Setujui atau tolak permintaan pengembalian dana pelanggan yang memerlukan keputusan Anda.
merchant-refunds-title = Permintaan pengembalian dana
merchant-refunds-intro = Permintaan yang menunggu keputusan Anda ditampilkan paling atas. Pengembalian dana yang disetujui langsung dikirim ke pelanggan.
merchant-refunds-empty = Belum ada permintaan pengembalian dana.
merchant-refund-payment = Pembayaran
merchant-refund-rule = Kebijakan
merchant-refund-note = Catatan untuk pelanggan (wajib jika menolak)
merchant-refund-approve = Setujui
merchant-refund-reject = Tolak
merchant-refund-approved = Pengembalian dana disetujui.
merchant-refund-rejected = Pengembalian dana ditolak.
merchant-refund-note-required = Beri tahu pelanggan alasannya jika Anda menolak pengembalian dana.
merchant-refund-note-too-long = Catatan maksimal 1.000 karakter.
merchant-refund-decided = Pengembalian dana ini sudah diputuskan.
wallet-filter-more = Filter lainnya

## Support decisions on refunds
tx-support-note = Catatan untuk pelanggan
tx-approve = Setujui pengembalian dana
tx-reject = Tolak
tx-override-help = Permintaan ini ditolak oleh kebijakan merchant. Menyetujuinya berarti pengecualian: tuliskan alasannya.
tx-refund-decided = Keputusan pengembalian dana sudah disimpan.
tx-error-decision-note = Tuliskan alasannya: menolak pengembalian dana atau membuat pengecualian wajib disertai alasan.

# Pusat bantuan
nav-help = Bantuan
help-title = Pusat bantuan
help-search-label = Cari di pusat bantuan
help-search-placeholder = mis. lupa kata sandi, refund, kartu ditolak
help-search-button = Cari
help-popular = Artikel populer
help-empty = Belum ada artikel bantuan.
help-results-title = Hasil pencarian
help-no-results = Tidak ada artikel yang cocok. Coba kata lain, atau lihat daftar kategori.
help-back = Semua topik bantuan
help-internal = Internal: khusus staf
help-updated = Terakhir diperbarui { $date }
help-was-helpful = Apakah artikel ini membantu?
help-comment = Ada tambahan? (opsional)
help-yes = Ya, membantu
help-no = Tidak
help-vote-thanks = Terima kasih atas masukan Anda.
help-related = Artikel terkait
help-cat-account-and-sign-in = Akun dan masuk
help-cat-payments-and-failed-transactions = Pembayaran dan transaksi gagal
help-cat-coupons-and-promotions = Kupon dan promo
help-cat-bank-cards-and-accounts = Kartu dan rekening bank
help-cat-refunds = Pengembalian dana
help-cat-merchant-complaints = Keluhan tentang merchant
help-cat-privacy-and-security = Privasi dan keamanan
help-cat-contact-and-support-hours = Hubungi kami dan jam layanan

## Help-center editing (admins)
nav-help-admin = Artikel bantuan
help-admin-title = Artikel bantuan
help-admin-new = Terjemahan baru
help-admin-new-slug = Slug (mis. reset-password)
help-admin-bad-slug = Gunakan huruf kecil, angka, dan tanda hubung untuk slug, lalu pilih bahasa.
help-admin-edit = Ubah artikel
help-admin-save = Simpan dan terbitkan perubahan
help-admin-saved = Tersimpan. Pencarian sudah memakai teks yang baru.
help-admin-view = Lihat artikel
help-field-title = Judul
help-field-category = Kategori
help-field-visibility = Visibilitas
help-field-status = Status
help-field-related = Artikel terkait (slug, dipisahkan koma)
help-field-keywords = Kata pencarian tambahan (dipisahkan koma)
help-field-body = Isi (Markdown)
col-slug = Slug
col-locale = Bahasa
help-synonyms-title = Sinonim pencarian
help-synonyms-help = Satu kelompok per baris, istilah dipisahkan koma, dalam bahasa apa pun: mencari satu istilah juga menemukan istilah lainnya.
help-synonyms-invalid = Setiap baris perlu 2 sampai 20 istilah, masing-masing paling banyak 60 karakter.

## Tickets
ticket-category-account_sign_in = Akun dan masuk
ticket-category-failed_transaction = Transaksi gagal
ticket-category-coupon = Kupon
ticket-category-card_linking = Menautkan kartu bank
ticket-category-refund = Pengembalian dana
ticket-category-merchant_complaint = Keluhan tentang merchant
ticket-category-privacy_security = Privasi dan keamanan
ticket-category-other = Lainnya
ticket-status-new = Baru
ticket-status-open = Sedang ditangani
ticket-status-pending_customer = Menunggu balasan Anda
ticket-status-on_hold = Ditunda
ticket-status-solved = Selesai
ticket-status-closed = Ditutup
ticket-priority-low = Rendah
ticket-priority-normal = Normal
ticket-priority-high = Tinggi
ticket-priority-urgent = Mendesak
ticket-channel-web = Situs web
ticket-channel-app = Aplikasi
ticket-channel-messenger = Messenger
ticket-channel-x = X
ticket-channel-phone = Telepon
ticket-missing-transaction = Transaksi yang mana? Minta pelanggan memilihnya dari riwayat, atau tautkan sendiri.
ticket-missing-time-amount = Tanyakan waktu dan nominal transaksinya.
ticket-missing-identity = Belum dikenali sebagai pelanggan: verifikasi identitasnya, lalu gabungkan kontaknya.
ticket-rating-request = Tiket #{ $number } sudah kami tandai selesai. Bagaimana layanan kami? Beri nilai 1 sampai 5 di halaman tiket Anda. Kalau masih ada yang belum beres, balas saja pesan ini dan kami akan menanganinya lagi.
ticket-flag-subject-not_recognised = Saya tidak mengenali transaksi { $reference }
ticket-flag-subject-improper = Ada yang salah dengan transaksi { $reference }
ticket-flag-body-not_recognised = Saya melaporkan transaksi ini karena saya tidak merasa melakukannya.
ticket-flag-body-improper = Saya melaporkan transaksi ini karena ada yang tidak beres.
