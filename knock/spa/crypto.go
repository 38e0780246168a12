package spa

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// saltedPrefix is what every OpenSSL-style ciphertext starts with, and
// b64SaltedPrefix its base64, which fwknop leaves off the wire so the packet
// has no fixed signature; the HMAC still covers it.
const (
	saltedPrefix    = "Salted__"
	b64SaltedPrefix = "U2FsdGVkX1"
	saltLen         = 8
	hmacLen         = 43 // unpadded base64 of a SHA-256 sum
	digestLen       = 43
)

// deriveKeyIV is OpenSSL's EVP_BytesToKey with MD5 and one round: the AES-256
// key and the CBC IV from the password and salt.
func deriveKeyIV(password, salt []byte) (key, iv []byte) {
	var out [48]byte
	var prev []byte
	h := md5.New()
	for n := 0; n < len(out); n += md5.Size {
		h.Reset()
		h.Write(prev)
		h.Write(password)
		h.Write(salt)
		prev = h.Sum(out[n:n])
	}
	return out[:32], out[32:]
}

// seal encrypts plain and appends the HMAC, giving the wire form.
func seal(keys Keys, plain []byte, rand io.Reader) ([]byte, error) {
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	raw := make([]byte, len(saltedPrefix)+saltLen, len(saltedPrefix)+saltLen+len(plain)+pad)
	copy(raw, saltedPrefix)
	salt := raw[len(saltedPrefix):]
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, fmt.Errorf("reading randomness: %w", err)
	}
	raw = append(raw, plain...)
	raw = append(raw, bytes.Repeat([]byte{byte(pad)}, pad)...)
	key, iv := deriveKeyIV(keys.Rijndael, salt)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	body := raw[len(saltedPrefix)+saltLen:]
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)

	enc := base64.RawStdEncoding.AppendEncode(make([]byte, 0, base64.RawStdEncoding.EncodedLen(len(raw))+hmacLen), raw)
	enc = base64.RawStdEncoding.AppendEncode(enc, mac(keys.HMAC, enc))
	return enc[len(b64SaltedPrefix):], nil
}

// mac is fwknop's HMAC: over the base64 ciphertext including the prefix
// that is not sent.
func mac(key, b64 []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(b64)
	return m.Sum(nil)
}

// open checks the HMAC of a wire packet and decrypts it.
func open(keys Keys, pkt []byte) ([]byte, error) {
	sealedLen := len(pkt) - hmacLen
	if sealedLen < 0 {
		return nil, fmt.Errorf("packet of %d bytes is too short", len(pkt))
	}
	if err := checkSize(sealedLen); err != nil {
		return nil, fmt.Errorf("packet of %w", err)
	}
	if bytes.HasPrefix(pkt, []byte(b64SaltedPrefix)) {
		return nil, errors.New("packet starts with the base64 of Salted__, which fwknop never sends")
	}
	b64 := make([]byte, 0, len(b64SaltedPrefix)+sealedLen)
	b64 = append(append(b64, b64SaltedPrefix...), pkt[:sealedLen]...)
	var want [hmacLen]byte
	base64.RawStdEncoding.Encode(want[:], mac(keys.HMAC, b64))
	if !hmac.Equal(want[:], pkt[sealedLen:]) {
		return nil, ErrHMAC
	}

	raw := make([]byte, base64.RawStdEncoding.DecodedLen(len(b64)))
	n, err := base64.RawStdEncoding.Decode(raw, b64)
	if err != nil {
		return nil, errors.New("ciphertext is not valid base64")
	}
	raw = raw[:n]
	if !bytes.HasPrefix(raw, []byte(saltedPrefix)) || len(raw) < len(saltedPrefix)+saltLen {
		return nil, errors.New("ciphertext lacks the Salted__ header")
	}
	body := raw[len(saltedPrefix)+saltLen:]
	if len(body) == 0 || len(body)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("ciphertext of %d bytes is not whole AES blocks", len(body))
	}
	key, iv := deriveKeyIV(keys.Rijndael, raw[len(saltedPrefix):len(saltedPrefix)+saltLen])
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(body, body)
	// The HMAC already vouched for the ciphertext, so a padding error here
	// means a wrong Rijndael key, never an oracle for an attacker.
	pad := int(body[len(body)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(body[len(body)-pad:], bytes.Repeat(body[len(body)-1:], pad)) {
		return nil, ErrDecrypt
	}
	return body[:len(body)-pad], nil
}

// appendDigest adds ":" and the unpadded base64 SHA-256 of plain.
func appendDigest(plain []byte) []byte {
	sum := sha256.Sum256(plain)
	plain = append(plain, ':')
	return base64.RawStdEncoding.AppendEncode(plain, sum[:])
}
