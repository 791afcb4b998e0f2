/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, which Debian's wine 8 lacks. Rust's
 * standard library (1.78 and later) takes its random bytes from ProcessPrng in that DLL, so a
 * Rust program does not start under such a wine without it. smoke-windows.sh builds this with
 * mingw-w64 and places it beside a temporary copy of the programs; it is never shipped.
 *
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32's SystemFunction036), which wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
