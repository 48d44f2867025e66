/// Names the C library and POSIX declare or define as macros, by the header
/// that declares them: a spec's `name` is the emitted C's function name and
/// the prefix of its macros, so a layer named `abs` clashes with `<stdlib.h>`
/// and one named `EOF` is macro-expanded away wherever `<stdio.h>` is included
/// beside the header (as the docs' own example does).
///
/// Refusing these names, rather than renaming the emitted function, keeps the
/// promise that the C function is called exactly `name` (SPEC.md section 2).
enum CLibraryNames {
    /// The header (or "POSIX") that declares `name`, or nil when none of those listed does.
    static func header(declaring name: String) -> String? {
        byName[name]
    }

    private static let byName: [String: String] = {
        var table: [String: String] = [:]
        for (header, words) in headers {
            for word in words.split(whereSeparator: \.isWhitespace) where table[String(word)] == nil {
                table[String(word)] = header
            }
        }
        return table
    }()

    private static let headers: [(String, String)] = [
        ("<stdio.h>", """
        EOF BUFSIZ FILENAME_MAX FOPEN_MAX L_tmpnam SEEK_CUR SEEK_END SEEK_SET TMP_MAX _IOFBF _IOLBF _IONBF
        FILE fpos_t stdin stdout stderr remove rename tmpfile tmpnam fclose fflush fopen freopen setbuf setvbuf
        fprintf fscanf printf scanf snprintf sprintf sscanf vfprintf vfscanf vprintf vscanf vsnprintf vsprintf
        vsscanf fgetc fgets fputc fputs getc getchar gets putc putchar puts ungetc fread fwrite fgetpos fseek
        fsetpos ftell rewind clearerr feof ferror perror fileno popen pclose getline getdelim dprintf fdopen
        flockfile funlockfile getc_unlocked putc_unlocked ctermid tempnam fmemopen open_memstream
        """),
        ("<stdlib.h>", """
        EXIT_FAILURE EXIT_SUCCESS MB_CUR_MAX RAND_MAX div_t ldiv_t lldiv_t atof atoi atol atoll strtod strtof
        strtold strtol strtoll strtoul strtoull rand srand aligned_alloc calloc free malloc realloc abort atexit
        at_quick_exit exit _Exit getenv quick_exit system bsearch qsort abs labs llabs div ldiv lldiv mblen mbtowc
        wctomb mbstowcs wcstombs random srandom drand48 lrand48 mrand48 srand48 erand48 nrand48 jrand48 seed48
        lcong48 setenv unsetenv putenv mkstemp mkdtemp mktemp realpath posix_memalign valloc alloca rand_r
        getsubopt grantpt ptsname unlockpt posix_openpt initstate setstate a64l l64a ecvt fcvt gcvt
        """),
        ("<string.h>", """
        strcpy strncpy strcat strncat strcoll strncmp strcmp strxfrm memchr strchr strcspn strpbrk strrchr strspn
        strstr strtok strerror strdup strndup strnlen stpcpy stpncpy strtok_r strerror_r strsignal memccpy strcasecmp
        strncasecmp index rindex bcopy bzero bcmp ffs explicit_bzero strlcpy strlcat memmem mempcpy
        """),
        ("<limits.h>", """
        CHAR_BIT SCHAR_MIN SCHAR_MAX UCHAR_MAX CHAR_MIN CHAR_MAX MB_LEN_MAX SHRT_MIN SHRT_MAX USHRT_MAX INT_MIN
        INT_MAX UINT_MAX LONG_MIN LONG_MAX ULONG_MAX LLONG_MIN LLONG_MAX ULLONG_MAX PATH_MAX NAME_MAX PIPE_BUF
        SSIZE_MAX IOV_MAX LINE_MAX PAGESIZE PAGE_SIZE WORD_BIT LONG_BIT
        """),
        ("<float.h>", """
        FLT_ROUNDS FLT_EVAL_METHOD FLT_RADIX FLT_MANT_DIG DBL_MANT_DIG LDBL_MANT_DIG DECIMAL_DIG FLT_DIG DBL_DIG
        LDBL_DIG FLT_MIN_EXP DBL_MIN_EXP LDBL_MIN_EXP FLT_MIN_10_EXP DBL_MIN_10_EXP LDBL_MIN_10_EXP FLT_MAX_EXP
        DBL_MAX_EXP LDBL_MAX_EXP FLT_MAX_10_EXP DBL_MAX_10_EXP LDBL_MAX_10_EXP FLT_MAX DBL_MAX LDBL_MAX FLT_EPSILON
        DBL_EPSILON LDBL_EPSILON FLT_MIN DBL_MIN LDBL_MIN FLT_TRUE_MIN DBL_TRUE_MIN LDBL_TRUE_MIN FLT_DECIMAL_DIG
        DBL_DECIMAL_DIG LDBL_DECIMAL_DIG FLT_HAS_SUBNORM DBL_HAS_SUBNORM LDBL_HAS_SUBNORM
        """),
        ("<stdint.h>", """
        int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t int_least8_t int_least16_t int_least32_t
        int_least64_t uint_least8_t uint_least16_t uint_least32_t uint_least64_t int_fast8_t int_fast16_t
        int_fast32_t int_fast64_t uint_fast8_t uint_fast16_t uint_fast32_t uint_fast64_t intptr_t uintptr_t
        intmax_t uintmax_t INT8_MIN INT16_MIN INT32_MIN INT64_MIN INT8_MAX INT16_MAX INT32_MAX INT64_MAX UINT8_MAX
        UINT16_MAX UINT32_MAX UINT64_MAX INTPTR_MIN INTPTR_MAX UINTPTR_MAX INTMAX_MIN INTMAX_MAX UINTMAX_MAX
        PTRDIFF_MIN PTRDIFF_MAX SIZE_MAX SIG_ATOMIC_MIN SIG_ATOMIC_MAX WCHAR_MIN WCHAR_MAX WINT_MIN WINT_MAX
        INT8_C INT16_C INT32_C INT64_C UINT8_C UINT16_C UINT32_C UINT64_C INTMAX_C UINTMAX_C
        """),
        ("<math.h>", """
        HUGE_VALL FP_INFINITE FP_NAN FP_NORMAL FP_SUBNORMAL FP_ZERO FP_FAST_FMA FP_ILOGB0 FP_ILOGBNAN MATH_ERRNO
        MATH_ERREXCEPT math_errhandling isgreater isgreaterequal isless islessequal islessgreater isunordered isnormal
        acosf acosl asinf asinl atanf atanl atan2f atan2l cosf cosl sinf sinl tanf tanl acosh acoshf acoshl asinh
        asinhf asinhl atanh atanhf atanhl coshf coshl sinhf sinhl tanhl expl exp2l expm1l frexp frexpf frexpl ilogb
        ilogbf ilogbl ldexp ldexpf ldexpl logl log10f log10l log1pl log2f log2l logb logbf logbl modf modff modfl
        scalbn scalbnf scalbnl scalbln scalblnf scalblnl cbrtf cbrtl fabsl hypotf hypotl powl sqrtl erfl erfcl
        lgammaf lgammal tgammaf tgammal ceill floorl nearbyint nearbyintf nearbyintl rint rintf rintl lrint lrintf
        lrintl llrint llrintf llrintl roundl lround lroundf lroundl llround llroundf llroundl truncl fmodf fmodl
        remainderf remainderl remquo remquof remquol copysignf copysignl nanl nextafter nextafterf nextafterl
        nexttoward nexttowardf nexttowardl fdim fdimf fdiml fmaxl fminl fmal M_E M_LOG2E M_LOG10E M_LN2 M_LN10
        M_PI_2 M_PI_4 M_1_PI M_2_PI M_2_SQRTPI M_SQRT2 M_SQRT1_2 j0 j1 jn y0 y1 yn gamma signgam scalb drem
        finite significand exp10 pow10 sincos isinff isnanf
        """),
        ("<ctype.h>", """
        isalnum isalpha isblank iscntrl isdigit isgraph islower isprint ispunct isspace isupper isxdigit tolower
        toupper isascii toascii
        """),
        ("<stddef.h>, <stdbool.h>, <errno.h>, <assert.h>, <time.h>, <signal.h>, <setjmp.h>, <stdarg.h>", """
        bool true false EDOM ERANGE EILSEQ clock time difftime mktime asctime ctime gmtime localtime strftime
        timespec clock_t time_t CLOCKS_PER_SEC signal raise SIGABRT SIGFPE SIGILL SIGINT SIGSEGV SIGTERM SIG_DFL
        SIG_IGN SIG_ERR sig_atomic_t setjmp longjmp jmp_buf va_list va_start va_arg va_end va_copy static_assert
        """),
        ("POSIX", """
        read write open close creat lseek pipe dup dup2 fork execv execve execvp execl wait waitpid kill sleep
        usleep nanosleep pause alarm getpid getppid getuid getgid chdir getcwd rmdir unlink link symlink readlink
        mkdir stat fstat lstat chmod chown access truncate ftruncate fsync sync select poll socket bind listen
        accept connect send recv sendto recvfrom shutdown mmap munmap mprotect ioctl fcntl isatty ttyname environ
        optarg optind opterr optopt getopt crypt encrypt swab nice brk sbrk ssize_t off_t pid_t uid_t gid_t mode_t
        dev_t ino_t nlink_t timer_t strptime tzset daylight timezone tzname basename dirname
        """),
    ]
}
