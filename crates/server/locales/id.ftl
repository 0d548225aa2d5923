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
