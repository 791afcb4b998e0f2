/*
 * A model of how fxpkcs11 connects to the KMES Host API, linked against OpenSSL 1.1.1 (Debian
 * 11's libssl1.1), the reference the connection tests compare fxconfig's verdicts with.
 *
 * It does what the library most likely does (docs/troubleshooting.md lists these assumptions):
 *   - PKCS12_parse on PROD-TLS-KEY with PROD-TLS-KEY-PASS;
 *   - SSL_CTX_load_verify_locations on PROD-TLS-CA (a PEM file);
 *   - SSL_VERIFY_PEER, no host name check, OpenSSL's default security level and protocols;
 *   - then one Excrypt ECHO, [AOECHO;], and its answer up to the closing bracket.
 *
 * Usage: fxpkcs11-model HOST PORT CA_FILE P12_FILE, with the PKCS#12 password in the
 * environment variable FXPKCS11_MODEL_P12_PASS. Prints one line and exits 0 on an answer:
 *   CONNECTED <protocol> <cipher> ECHO <answer>
 * or exits 1 with
 *   FAIL <ca|identity|connect|handshake|echo>: <reason>
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static int fail(const char *stage, const char *reason) {
  char error[256] = "";
  unsigned long code = ERR_peek_last_error();
  if (code != 0) ERR_error_string_n(code, error, sizeof error);
  printf("FAIL %s: %s%s%s\n", stage, reason, error[0] ? ": " : "", error);
  return 1;
}

static int tcp_connect(const char *host, const char *port) {
  struct addrinfo hints = {0}, *found = NULL, *each;
  int fd = -1;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &found) != 0) return -1;
  for (each = found; each != NULL; each = each->ai_next) {
    fd = socket(each->ai_family, each->ai_socktype, each->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, each->ai_addr, each->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd >= 0) {
    struct timeval wait = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, sizeof wait);
  }
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s HOST PORT CA_FILE P12_FILE\n", argv[0]);
    return 2;
  }
  const char *password = getenv("FXPKCS11_MODEL_P12_PASS");
  OPENSSL_init_ssl(0, NULL);

  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == NULL) return fail("handshake", "SSL_CTX_new");
  if (SSL_CTX_load_verify_locations(ctx, argv[3], NULL) != 1)
    return fail("ca", "SSL_CTX_load_verify_locations loaded no certificate");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

  FILE *p12_file = fopen(argv[4], "rb");
  if (p12_file == NULL) return fail("identity", "cannot open the PKCS#12 file");
  PKCS12 *p12 = d2i_PKCS12_fp(p12_file, NULL);
  fclose(p12_file);
  if (p12 == NULL) return fail("identity", "d2i_PKCS12_fp");
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  STACK_OF(X509) *chain = NULL;
  if (PKCS12_parse(p12, password ? password : "", &key, &cert, &chain) != 1)
    return fail("identity", "PKCS12_parse");
  if (cert == NULL || key == NULL) return fail("identity", "no certificate or key in the PKCS#12 file");
  if (SSL_CTX_use_certificate(ctx, cert) != 1) return fail("identity", "SSL_CTX_use_certificate");
  if (SSL_CTX_use_PrivateKey(ctx, key) != 1) return fail("identity", "SSL_CTX_use_PrivateKey");
  for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
    SSL_CTX_add_extra_chain_cert(ctx, X509_dup(sk_X509_value(chain, i)));

  int fd = tcp_connect(argv[1], argv[2]);
  if (fd < 0) return fail("connect", "no TCP connection");
  SSL *ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return fail("handshake", X509_verify_cert_error_string(verify));
    return fail("handshake", "SSL_connect");
  }
  const char request[] = "[AOECHO;]";
  if (SSL_write(ssl, request, (int)strlen(request)) <= 0) return fail("echo", "SSL_write");
  char answer[4096];
  size_t used = 0;
  while (used < sizeof answer - 1 && memchr(answer, ']', used) == NULL) {
    int got = SSL_read(ssl, answer + used, (int)(sizeof answer - 1 - used));
    if (got <= 0) return fail("echo", "no complete answer");
    used += (size_t)got;
  }
  answer[used] = '\0';
  printf("CONNECTED %s %s ECHO %s\n", SSL_get_version(ssl), SSL_get_cipher_name(ssl), answer);
  SSL_shutdown(ssl);
  return 0;
}
