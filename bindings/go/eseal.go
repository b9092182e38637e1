// Package eseal verifies sealed PDFs, OFD packages, GB/T 38540 seals and licence QR strings
// with eseal's C library (libeseal, include/eseal.h), found through pkg-config.
//
//	v, err := eseal.NewVerifier()
//	if err != nil { ... }
//	defer v.Close()
//	err = v.AddAnchors(rootPEM)
//	report, err := v.Verify(pdf)
//	fmt.Println(report.Indication, report.Reasons())
package eseal

/*
#cgo pkg-config: eseal
#include <eseal.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Status is an eseal_status code: why a call did nothing.
type Status int

// The status codes of include/eseal.h.
const (
	StatusOK              Status = C.ESEAL_OK
	StatusNullParameter   Status = C.ESEAL_NULL_PARAMETER
	StatusInvalidArgument Status = C.ESEAL_INVALID_ARGUMENT
	StatusInvalidHandle   Status = C.ESEAL_INVALID_HANDLE
	StatusMalformedInput  Status = C.ESEAL_MALFORMED_INPUT
	StatusUnsupported     Status = C.ESEAL_UNSUPPORTED
	StatusKeyError        Status = C.ESEAL_KEY_ERROR
	StatusRefused         Status = C.ESEAL_REFUSED
	StatusNotFound        Status = C.ESEAL_NOT_FOUND
	StatusIOError         Status = C.ESEAL_IO_ERROR
	StatusPanic           Status = C.ESEAL_PANIC
)

// Error is a call that did not return ESEAL_OK: its status, the status's name (e.g.
// "ESEAL_MALFORMED_INPUT") and the library's message. A verdict, even TOTAL-FAILED, is not
// an error: it is a Report.
type Error struct {
	Status  Status
	Name    string
	Message string
}

func (e *Error) Error() string {
	return e.Name + ": " + e.Message
}

// check turns a status into an *Error with the calling thread's last error message. The
// caller holds the OS thread (runtime.LockOSThread) since the call it checks.
func check(status C.enum_eseal_status, what string) error {
	if status == C.ESEAL_OK {
		return nil
	}
	name := C.GoString(C.eseal_status_name(C.int(status)))
	message := what
	if m := C.eseal_last_error_message(); m != nil {
		message += ": " + C.GoString(m)
	}
	return &Error{Status: Status(status), Name: name, Message: message}
}

// Indication is a verdict (ETSI EN 319 102-1 clause 5.1.3).
type Indication int

// The indications of include/eseal.h.
const (
	TotalPassed   Indication = C.ESEAL_TOTAL_PASSED
	Indeterminate Indication = C.ESEAL_INDETERMINATE
	TotalFailed   Indication = C.ESEAL_TOTAL_FAILED
	NothingSigned Indication = C.ESEAL_NOTHING_SIGNED
)

// String is the name eseal's JSON report prints, e.g. "TOTAL-PASSED".
func (i Indication) String() string {
	switch i {
	case TotalPassed:
		return "TOTAL-PASSED"
	case Indeterminate:
		return "INDETERMINATE"
	case TotalFailed:
		return "TOTAL-FAILED"
	case NothingSigned:
		return "NOTHING-SIGNED"
	}
	return fmt.Sprintf("Indication(%d)", int(i))
}

// MarshalText writes the indication's name.
func (i Indication) MarshalText() ([]byte, error) {
	return []byte(i.String()), nil
}

// Signature is the verdict on one signature (or certificate, or licence) of a report.
type Signature struct {
	// Kind is what was verified, e.g. "pdf-signature", "ofd-seal-signature", "licence".
	Kind string `json:"kind"`
	// Indication is the verdict.
	Indication Indication `json:"indication"`
	// SubIndication is e.g. "REVOKED"; empty when TOTAL-PASSED.
	SubIndication string `json:"sub_indication"`
	// Reasons are the codes of the reasons it is not TOTAL-PASSED, e.g. "CERTIFICATE_REVOKED".
	Reasons []string `json:"reasons"`
	// Signer is the certificate subject; empty when unknown.
	Signer string `json:"signer"`
	// SealName is the name of the e-seal; empty when there is none.
	SealName string `json:"seal"`
	// SigningTime is RFC 3339; empty when unknown.
	SigningTime string `json:"signing_time"`
}

// Report is a verification report, copied out of the C report (it holds no C memory).
type Report struct {
	// Indication is the worst over all signatures; NothingSigned when none was found.
	Indication Indication
	// Signatures is the verdict of each signature, in the order of the document.
	Signatures []Signature
	// JSON is the report as `eseal verify --json` prints it.
	JSON string
}

// Passed says whether the report is TOTAL-PASSED.
func (r *Report) Passed() bool {
	return r.Indication == TotalPassed
}

// Reasons are the reason codes of all signatures, in order.
func (r *Report) Reasons() []string {
	all := []string{}
	for _, s := range r.Signatures {
		all = append(all, s.Reasons...)
	}
	return all
}

// Signers are the signers of the signatures that name one, in order.
func (r *Report) Signers() []string {
	var all []string
	for _, s := range r.Signatures {
		if s.Signer != "" {
			all = append(all, s.Signer)
		}
	}
	return all
}

// Version is the version of the eseal library linked, e.g. "0.1.0".
func Version() string {
	return C.GoString(C.eseal_version())
}

// Verifier verifies documents, seals and licence QR strings against the trust store it owns
// (an eseal_trust_store): anchors, intermediates, CRLs, the licence trust list and status
// lists. Any number of goroutines may share one; Close waits for the calls in progress and
// frees the store. A finalizer frees a Verifier never closed, but call Close.
type Verifier struct {
	mu    sync.RWMutex
	store *C.eseal_trust_store
}

// NewVerifier makes a Verifier with an empty trust store.
func NewVerifier() (*Verifier, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var store *C.eseal_trust_store
	if err := check(C.eseal_trust_store_new(&store), "trust store"); err != nil {
		return nil, err
	}
	v := &Verifier{store: store}
	runtime.SetFinalizer(v, (*Verifier).Close)
	return v, nil
}

// Close frees the trust store; later calls return an error. Closing twice does nothing.
func (v *Verifier) Close() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.store != nil {
		C.eseal_trust_store_free(v.store)
		v.store = nil
		runtime.SetFinalizer(v, nil)
	}
	return nil
}

// errClosed is what a call on a closed Verifier returns.
var errClosed = &Error{Status: StatusInvalidHandle, Name: "ESEAL_INVALID_HANDLE", Message: "the verifier is closed"}

// with calls f with the store, read-locked, on one OS thread (the last error is per thread).
func (v *Verifier) with(f func(*C.eseal_trust_store) error) error {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if v.store == nil {
		return errClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return f(v.store)
}

// buffer is data as C's (pointer, length), without a copy: eseal reads it during the call
// and keeps no pointer to it, and a []byte holds no Go pointers (the cgo rules).
func buffer(data []byte) (*C.uint8_t, C.size_t) {
	if len(data) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data))
}

type adder func(*C.eseal_trust_store, *C.uint8_t, C.size_t) C.enum_eseal_status

func (v *Verifier) add(data []byte, what string, add adder) error {
	return v.with(func(store *C.eseal_trust_store) error {
		p, n := buffer(data)
		return check(add(store, p, n), what)
	})
}

// AddAnchors adds trust anchors: certificates as a PEM bundle or DER.
func (v *Verifier) AddAnchors(certificates []byte) error {
	return v.add(certificates, "anchors", func(s *C.eseal_trust_store, p *C.uint8_t, n C.size_t) C.enum_eseal_status {
		return C.eseal_trust_store_add_anchors(s, p, n)
	})
}

// AddIntermediates adds intermediate CA certificates (PEM bundle or DER) that chains may go
// through; they are not trusted by themselves.
func (v *Verifier) AddIntermediates(certificates []byte) error {
	return v.add(certificates, "intermediates", func(s *C.eseal_trust_store, p *C.uint8_t, n C.size_t) C.enum_eseal_status {
		return C.eseal_trust_store_add_intermediates(s, p, n)
	})
}

// AddCRL adds a CRL (RFC 5280; PEM or DER).
func (v *Verifier) AddCRL(crl []byte) error {
	return v.add(crl, "CRL", func(s *C.eseal_trust_store, p *C.uint8_t, n C.size_t) C.enum_eseal_status {
		return C.eseal_trust_store_add_crl(s, p, n)
	})
}

// AddTrustList adds the licence trust list (COSE), verified against the anchors as of at
// (the zero time: now); add the anchors first.
func (v *Verifier) AddTrustList(trustList []byte, at time.Time) error {
	return v.add(trustList, "trust list", func(s *C.eseal_trust_store, p *C.uint8_t, n C.size_t) C.enum_eseal_status {
		return C.eseal_trust_store_add_trust_list(s, p, n, seconds(at))
	})
}

// AddStatusList adds a licence status list (Token Status List CWT). For one URI the list
// issued last decides; an older one is refused (StatusRefused).
func (v *Verifier) AddStatusList(statusList []byte) error {
	return v.add(statusList, "status list", func(s *C.eseal_trust_store, p *C.uint8_t, n C.size_t) C.enum_eseal_status {
		return C.eseal_trust_store_add_status_list(s, p, n)
	})
}

// seconds is at as Unix seconds, or ESEAL_NOW for the zero time.
func seconds(at time.Time) C.int64_t {
	if at.IsZero() {
		return C.int64_t(C.ESEAL_NOW)
	}
	return C.int64_t(at.Unix())
}

// Verify verifies a document, seal, certificate or QR string's bytes as of now.
func (v *Verifier) Verify(input []byte) (*Report, error) {
	return v.VerifyAt(input, time.Time{})
}

// VerifyQR verifies a licence QR string ("ZZ1:...") as of now.
func (v *Verifier) VerifyQR(qr string) (*Report, error) {
	return v.VerifyAt([]byte(strings.TrimSpace(qr)), time.Time{})
}

// VerifyAt verifies input as of at (the zero time: now). A verdict, even TOTAL-FAILED, is a
// Report; input eseal cannot classify is an *Error with StatusMalformedInput.
func (v *Verifier) VerifyAt(input []byte, at time.Time) (*Report, error) {
	var report *Report
	err := v.with(func(store *C.eseal_trust_store) error {
		p, n := buffer(input)
		var out *C.eseal_report
		if err := check(C.eseal_verify(store, p, n, seconds(at), &out), "verify"); err != nil {
			return err
		}
		defer C.eseal_report_free(out)
		var err error
		report, err = read(out)
		return err
	})
	return report, err
}

// text is a string borrowed from a report, "" for NULL.
func text(s *C.char) string {
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// read copies what a report says out of C memory.
func read(out *C.eseal_report) (*Report, error) {
	report := &Report{
		Indication: Indication(C.eseal_report_indication(out)),
		JSON:       text(C.eseal_report_json(out)),
	}
	var parsed struct {
		Signatures []struct {
			Kind    string `json:"kind"`
			Reasons []struct {
				Code string `json:"code"`
			} `json:"reasons"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal([]byte(report.JSON), &parsed); err != nil {
		return nil, fmt.Errorf("eseal: the report's JSON: %w", err)
	}
	count := int(C.eseal_report_signature_count(out))
	for i := 0; i < count; i++ {
		n := C.size_t(i)
		s := Signature{
			Indication:    Indication(C.eseal_report_signature_indication(out, n)),
			SubIndication: text(C.eseal_report_sub_indication(out, n)),
			Reasons:       []string{},
			Signer:        text(C.eseal_report_signer(out, n)),
			SealName:      text(C.eseal_report_seal_name(out, n)),
			SigningTime:   text(C.eseal_report_signing_time(out, n)),
		}
		if i < len(parsed.Signatures) {
			s.Kind = parsed.Signatures[i].Kind
			for _, r := range parsed.Signatures[i].Reasons {
				s.Reasons = append(s.Reasons, r.Code)
			}
		}
		report.Signatures = append(report.Signatures, s)
	}
	return report, nil
}
