<?php

namespace Multiverse\Laravel;

use Illuminate\Support\Str;

/**
 * The registry namespace of an application when config/multiverse.php
 * sets none: "{slug of the app name}-{8 hex digits of sha256(base path)}",
 * e.g. "shop-1f3a9c0e". The name makes `multiverse ps --all` readable;
 * the hash tells apart two checkouts of the same app under one Unix user
 * (staging and production, or two sites both named "Laravel").
 *
 * The slug: the name transliterated to ASCII, lowercased, every run of
 * other characters a "-", at most 55 characters ("app" when nothing is
 * left), so the whole is valid for the extension (^[A-Za-z0-9_.-]{1,64}$).
 */
final class AppNamespace
{
    private const SLUG_MAX = 55; // + "-" + 8 hex digits = 64

    public static function derive(string $appName, string $basePath): string
    {
        $slug = strtolower(trim((string) preg_replace('/[^A-Za-z0-9]+/', '-', Str::ascii($appName)), '-'));
        $slug = rtrim(substr($slug, 0, self::SLUG_MAX), '-');

        return ($slug === '' ? 'app' : $slug).'-'.substr(hash('sha256', $basePath), 0, 8);
    }
}
